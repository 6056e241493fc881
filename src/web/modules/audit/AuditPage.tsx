/**
 * 审计日志: who did what to which record, from where, with the record before and after.
 */
import { useState } from 'react';
import { AutoComplete, Button, DatePicker, Form, Input, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { DownloadOutlined, SearchOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { api, type AuditEntry, type AuditQuery } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useBusy } from '../../app/feedback';
import { formatTime, shanghaiIso } from '../../format';
import { PageHeader } from '../../components/PageHeader';
import { JsonDiff } from './JsonDiff';
import { tablePagination, usePagedList } from '../../components/usePagedList';

interface Filters {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  range?: [Dayjs | null, Dayjs | null] | null;
}

const TARGET_TYPES = ['user', 'org', 'grid', 'address', 'session', 'job'];

function actionColor(action: string): string {
  if (/delete|remove|disable|lock|fail/i.test(action)) return 'red';
  if (/create|import|add/i.test(action)) return 'green';
  if (/update|patch|edit|reset|password/i.test(action)) return 'blue';
  if (/read|view|contact|export/i.test(action)) return 'gold';
  if (/login|logout/i.test(action)) return 'purple';
  return 'default';
}

export default function AuditPage() {
  const { t, lang } = useI18n();
  const { busy, run } = useBusy();
  const [form] = Form.useForm<Filters>();
  const [query, setQuery] = useState<AuditQuery>({ page: 1, pageSize: 20 });

  const { data, loading } = usePagedList(api.audit.list, query);

  const apply = (v: Filters) => {
    setQuery((q) => ({
      page: 1,
      pageSize: q.pageSize,
      actor: v.actor?.trim() || undefined,
      action: v.action?.trim() || undefined,
      targetType: v.targetType?.trim() || undefined,
      targetId: v.targetId?.trim() || undefined,
      from: shanghaiIso(v.range?.[0]),
      to: shanghaiIso(v.range?.[1]),
    }));
  };

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.audit')}
        extra={
          <Button icon={<DownloadOutlined />} loading={busy.xlsx} onClick={() => run('xlsx', () => api.audit.exportXlsx(query))}>
            {t('common.exportXlsx')}
          </Button>
        }
      />
      <Form<Filters> form={form} layout="inline" className="za-filter-bar" onFinish={apply}>
        <Form.Item name="actor">
          <Input allowClear placeholder={t('audit.actor')} style={{ width: 140 }} />
        </Form.Item>
        <Form.Item name="action">
          <Input allowClear placeholder={t('audit.action')} style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="targetType">
          <AutoComplete
            allowClear
            placeholder={t('audit.targetType')}
            style={{ width: 140 }}
            options={TARGET_TYPES.map((v) => ({ value: v, label: `${labels.targetType(lang, v)} (${v})` }))}
            filterOption={(input, option) => String(option?.value ?? '').includes(input) || String(option?.label ?? '').includes(input)}
          />
        </Form.Item>
        <Form.Item name="targetId">
          <Input allowClear placeholder={t('audit.targetId')} style={{ width: 160 }} />
        </Form.Item>
        <Form.Item name="range">
          <DatePicker.RangePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" allowEmpty={[true, true]} placeholder={[t('audit.range'), '']} />
        </Form.Item>
        <Form.Item>
          <Space>
            <Button type="primary" htmlType="submit" icon={<SearchOutlined />}>
              {t('common.search')}
            </Button>
            <Button
              onClick={() => {
                form.resetFields();
                setQuery((q) => ({ page: 1, pageSize: q.pageSize }));
              }}
            >
              {t('common.reset')}
            </Button>
            <Tooltip title={t('audit.rangeTz')}>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                UTC+8
              </Typography.Text>
            </Tooltip>
          </Space>
        </Form.Item>
      </Form>
      <Table<AuditEntry>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        expandable={{
          expandedRowRender: (r) => <JsonDiff before={r.before} after={r.after} />,
          rowExpandable: (r) => r.before != null || r.after != null,
        }}
        pagination={tablePagination(query, setQuery, data.total, (n) => t('common.total', { n }))}
        columns={[
          { title: t('audit.at'), dataIndex: 'at', width: 170, render: (v: string) => <span className="za-mono">{formatTime(v, lang)}</span> },
          {
            title: t('audit.actor'),
            dataIndex: 'actorName',
            width: 120,
            render: (v: string | null, r) => v ?? r.actorId ?? <Typography.Text type="secondary">{t('audit.system')}</Typography.Text>,
          },
          { title: t('audit.ip'), dataIndex: 'ip', width: 130, render: (v: string | null) => <span className="za-mono">{v ?? '—'}</span> },
          {
            title: t('audit.action'),
            dataIndex: 'action',
            width: 180,
            render: (v: string) => (
              <Tooltip title={<span className="za-mono">{v}</span>}>
                <Tag color={actionColor(v)} bordered={false}>
                  {labels.action(lang, v)}
                </Tag>
              </Tooltip>
            ),
          },
          {
            title: t('audit.target'),
            key: 'target',
            render: (_, r) => (
              <Space size={4}>
                <Tag bordered={false}>{labels.targetType(lang, r.targetType)}</Tag>
                {r.targetId && (
                  <Typography.Text className="za-mono" copyable={{ text: r.targetId }} style={{ fontSize: 12, maxWidth: 170 }} ellipsis={{ tooltip: r.targetId }}>
                    {r.targetId}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: t('common.requestId'),
            dataIndex: 'requestId',
            width: 220,
            ellipsis: true,
            render: (v: string | null) =>
              v ? (
                <Typography.Text className="za-mono" copyable={{ text: v }} style={{ fontSize: 12 }}>
                  {v}
                </Typography.Text>
              ) : (
                '—'
              ),
          },
        ]}
      />
    </div>
  );
}
