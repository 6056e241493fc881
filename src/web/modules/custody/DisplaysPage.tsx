/**
 * 远程示证 — time-limited links that show chosen items' photos and digital evidence to a named
 * viewer (a prosecutor, a judge) without an account: watermarked with the viewer's name, no
 * downloads. The link is shown once, when created; a link can be revoked at any time.
 */
import { useEffect, useState } from 'react';
import { Alert, App, Button, DatePicker, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { CopyOutlined, LinkOutlined, PlusOutlined, ReloadOutlined, StopOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { ApiError } from '../../api';
import { useAuth } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { RemoteMultiSelect } from '../../components/RemoteMultiSelect';
import { formatTime, shanghaiIso, TIME_ZONE } from '../../format';
import { custodyApi, type DisplayCreated, type DisplaySummary } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { copyText, useCustodyErrors } from './custody-meta';

/** The viewer's address of a display, absolute (to be sent by message or mail). */
export function displayLink(created: DisplayCreated): string {
  return new URL(created.url || `/display/${created.token}`, window.location.origin).toString();
}

function CreateModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (d: DisplayCreated) => void }) {
  const { t, statusLabel } = useCustodyI18n();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<{ title: string; viewerName: string; itemIds: string[]; expiresAt: dayjs.Dayjs }>();
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setRefusal(null);
    form.setFieldsValue({ expiresAt: dayjs().tz(TIME_ZONE).add(3, 'day').hour(18).minute(0).second(0) });
  }, [open, form]);
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setRefusal(null);
    try {
      onCreated(await custodyApi.displays.create({ title: v.title.trim(), viewerName: v.viewerName.trim(), itemIds: v.itemIds, expiresAt: shanghaiIso(v.expiresAt)! }));
    } catch (e) {
      setRefusal(handleError(e, form, ['title', 'viewerName', 'itemIds', 'expiresAt']));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={open} title={t('disp.new')} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('c.submit')} destroyOnHidden width={620}>
      <Typography.Paragraph type="secondary">{t('disp.hint')}</Typography.Paragraph>
      {refusal && <Alert type="error" showIcon message={refusal} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" data-testid="display-form">
        <Form.Item name="title" label={t('disp.name')} rules={[{ required: true, whitespace: true, message: t('f.required', { label: t('disp.name') }) }]}>
          <Input maxLength={100} data-testid="display-title" />
        </Form.Item>
        <div className="cz-form-grid">
          <Form.Item name="viewerName" label={t('disp.viewer')} extra={t('disp.viewerHint')} rules={[{ required: true, whitespace: true, message: t('f.required', { label: t('disp.viewer') }) }]}>
            <Input maxLength={60} data-testid="display-viewer" />
          </Form.Item>
          <Form.Item name="expiresAt" label={t('disp.expiresAt')} extra={t('disp.expiresHint')} rules={[{ required: true }]}>
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} disabledDate={(d) => d.isBefore(dayjs().startOf('day')) || d.isAfter(dayjs().add(7, 'day'))} />
          </Form.Item>
        </div>
        <Form.Item name="itemIds" label={t('disp.items')} rules={[{ required: true, type: 'array', min: 1, message: t('f.requiredPick', { label: t('disp.items') }) }]}>
          <RemoteMultiSelect
            placeholder={t('disp.itemsPh')}
            fetch={async (q) => (await custodyApi.items.list({ q: q || undefined, pageSize: 30 })).items.map((i) => ({ id: i.id, label: `${i.code} ${i.name}`, hint: `${i.case.caseNumber} · ${statusLabel(i.status)}` }))}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function DisplaysPage() {
  const { t, lang } = useCustodyI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [list, setList] = useState<DisplaySummary[] | null>(null);
  const [unavailable, setUnavailable] = useState(false);
  const [version, setVersion] = useState(0);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<DisplayCreated | null>(null);

  useEffect(() => {
    let cancelled = false;
    custodyApi.displays.list().then(
      (r) => {
        if (cancelled) return;
        setList(r);
        setUnavailable(false);
      },
      (e: unknown) => {
        if (cancelled) return;
        setList([]);
        if (e instanceof ApiError && e.status === 404) setUnavailable(true);
        else handleError(e);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [version, handleError]);

  const revoke = async (d: DisplaySummary) => {
    try {
      await custodyApi.displays.revoke(d.id);
      message.success(t('disp.revoked'));
      setVersion((v) => v + 1);
    } catch (e) {
      handleError(e);
    }
  };

  const copy = async (text: string) => {
    if (await copyText(text)) message.success(t('c.copied'));
    else message.warning(t('c.copyFailed'));
  };

  return (
    <div className="za-page">
      <PageHeader
        title={t('disp.title')}
        sub={t('disp.hint')}
        extra={
          <Space wrap>
            {can('custody.display') && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="display-new">
                {t('disp.new')}
              </Button>
            )}
            <Button icon={<ReloadOutlined />} onClick={() => setVersion((v) => v + 1)} aria-label={t('c.refresh')} />
          </Space>
        }
      />
      {unavailable && <Alert type="warning" showIcon message={t('disp.unavailable')} style={{ marginBottom: 12 }} />}
      <Table<DisplaySummary>
        size="small"
        bordered
        rowKey="id"
        loading={list === null}
        dataSource={list ?? []}
        scroll={{ x: 900 }}
        locale={{ emptyText: t('disp.empty') }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        onRow={() => ({ 'data-testid': 'display-row' }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('disp.name'), dataIndex: 'title', ellipsis: true },
          { title: t('disp.viewer'), dataIndex: 'viewerName', width: 120 },
          { title: t('disp.items'), dataIndex: 'itemCount', width: 90, align: 'center' },
          { title: t('disp.createdAt'), dataIndex: 'createdAt', width: 170, render: (v: string) => formatTime(v, lang) },
          { title: t('disp.expiresAt'), dataIndex: 'expiresAt', width: 170, render: (v: string) => formatTime(v, lang) },
          {
            title: t('disp.state'),
            key: 'state',
            width: 90,
            render: (_: unknown, r) => (r.revokedAt ? <Tag>{t('disp.revoked')}</Tag> : r.active ? <Tag color="green">{t('disp.active')}</Tag> : <Tag color="default">{t('disp.expired')}</Tag>),
          },
          {
            title: t('c.actions'),
            key: 'actions',
            width: 100,
            render: (_: unknown, r) =>
              r.active && !r.revokedAt && can('custody.display') ? (
                <Popconfirm title={t('disp.revokeConfirm')} onConfirm={() => void revoke(r)} okButtonProps={{ danger: true }}>
                  <Button size="small" danger icon={<StopOutlined />} data-testid="display-revoke">
                    {t('disp.revoke')}
                  </Button>
                </Popconfirm>
              ) : null,
          },
        ]}
      />
      <CreateModal
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(d) => {
          setCreating(false);
          setCreated(d);
          setVersion((v) => v + 1);
        }}
      />
      <Modal open={!!created} title={t('disp.link')} onCancel={() => setCreated(null)} footer={<Button onClick={() => setCreated(null)}>{t('c.close')}</Button>}>
        {created && (
          <div data-testid="display-created">
            <Alert type="info" showIcon message={t('disp.linkHint')} style={{ marginBottom: 12 }} />
            <Space.Compact style={{ width: '100%' }}>
              <Input readOnly value={displayLink(created)} prefix={<LinkOutlined />} data-testid="display-link" onFocus={(e) => e.target.select()} />
              <Button type="primary" icon={<CopyOutlined />} onClick={() => void copy(displayLink(created))}>
                {t('c.copy')}
              </Button>
            </Space.Compact>
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t('disp.expiresAt')}：{formatTime(created.expiresAt, lang)}
            </Typography.Paragraph>
          </div>
        )}
      </Modal>
    </div>
  );
}
