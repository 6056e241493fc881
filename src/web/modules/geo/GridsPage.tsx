/**
 * 网格: the grid register — search, export, GeoJSON import, and a detail drawer where the
 * name and the grid workers are edited.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { App, Button, Descriptions, Drawer, Form, Input, Select, Space, Spin, Table, Tag, Typography, Upload } from 'antd';
import { DownloadOutlined, EditOutlined, TeamOutlined, UploadOutlined } from '@ant-design/icons';
import { api, type Grid, type GridDetail, type GridQuery } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { applyFieldErrors, useBusy, useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { useOrgs } from '../core/org-tree';
import { UserPicker } from '../core/UserPicker';
import { tablePagination, usePagedList } from '../../components/usePagedList';

const GridMiniMap = lazy(() => import('./GridMiniMap'));

export default function GridsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const { busy, run } = useBusy();
  const [params, setParams] = useSearchParams();
  const { orgs } = useOrgs(can('org.read'));

  const [query, setQuery] = useState<GridQuery>({ page: 1, pageSize: 20 });
  const [keyword, setKeyword] = useState('');
  const [version, setVersion] = useState(0);
  const openId = params.get('open');

  const streets = useMemo(() => orgs.filter((o) => o.kind === 'street'), [orgs]);
  const communities = useMemo(
    () => orgs.filter((o) => o.kind === 'community' && (!query.streetId || o.parentId === query.streetId)),
    [orgs, query.streetId],
  );

  const { data, loading } = usePagedList(api.grids.list, query, version);

  const openGrid = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set('open', id);
    else next.delete('open');
    setParams(next, { replace: true });
  };

  const importGeojson = async (file: File) => {
    let fc: unknown;
    try {
      fc = JSON.parse(await file.text());
    } catch {
      message.error(t('grid.badGeojson'));
      return;
    }
    if (!fc || typeof fc !== 'object' || (fc as { type?: unknown }).type !== 'FeatureCollection' || !Array.isArray((fc as { features?: unknown }).features)) {
      message.error(t('grid.badGeojson'));
      return;
    }
    const r = await run('import', () => api.grids.importGeojson(fc));
    if (r) {
      message.success(t('grid.imported', { created: r.created, updated: r.updated }));
      setVersion((v) => v + 1);
    }
  };

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.grids')}
        extra={
          <Space wrap>
            <Button icon={<DownloadOutlined />} loading={busy.xlsx} onClick={() => run('xlsx', () => api.grids.exportXlsx(query))}>
              {t('common.exportXlsx')}
            </Button>
            <Button icon={<DownloadOutlined />} loading={busy.geojson} onClick={() => run('geojson', () => api.grids.exportGeojson())}>
              {t('grid.exportGeojson')}
            </Button>
            {can('grid.write') && (
              <Upload
                accept=".geojson,.json,application/geo+json,application/json"
                showUploadList={false}
                beforeUpload={(f) => {
                  void importGeojson(f);
                  return false;
                }}
              >
                <Button type="primary" icon={<UploadOutlined />} loading={busy.import}>
                  {t('grid.importGeojson')}
                </Button>
              </Upload>
            )}
          </Space>
        }
      />
      <div className="za-filter-bar">
        <Input.Search
          allowClear
          placeholder={t('grid.searchPlaceholder')}
          style={{ width: 260 }}
          value={keyword}
          onChange={(e) => setKeyword(e.target.value)}
          onSearch={(v) => setQuery((q) => ({ ...q, q: v.trim() || undefined, page: 1 }))}
          enterButton
        />
        {streets.length > 0 && (
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder={t('grid.allStreets')}
            style={{ width: 180 }}
            value={query.streetId}
            options={streets.map((s) => ({ value: s.id, label: s.name }))}
            onChange={(v?: string) => setQuery((q) => ({ ...q, streetId: v, communityId: undefined, page: 1 }))}
          />
        )}
        {communities.length > 0 && (
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            placeholder={t('grid.allCommunities')}
            style={{ width: 200 }}
            value={query.communityId}
            options={communities.map((s) => ({ value: s.id, label: s.name }))}
            onChange={(v?: string) => setQuery((q) => ({ ...q, communityId: v, page: 1 }))}
          />
        )}
        <Button
          onClick={() => {
            setKeyword('');
            setQuery({ page: 1, pageSize: query.pageSize });
          }}
        >
          {t('common.reset')}
        </Button>
      </div>
      <Table<Grid>
        size="small"
        rowKey="id"
        bordered
        loading={loading}
        dataSource={data.items}
        pagination={tablePagination(query, setQuery, data.total, (n) => t('common.total', { n }))}
        onRow={(r) => ({ onDoubleClick: () => openGrid(r.id) })}
        columns={[
          { title: t('grid.code'), dataIndex: 'code', width: 160, render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
          { title: t('grid.name'), dataIndex: 'name', render: (v: string, r) => <a onClick={() => openGrid(r.id)}>{v}</a> },
          { title: t('common.community'), dataIndex: 'communityName', width: 180 },
          { title: t('common.street'), dataIndex: 'streetName', width: 160 },
          {
            title: t('common.gridWorkers'),
            dataIndex: 'workers',
            render: (w: Grid['workers']) =>
              w.length ? (
                <Space size={[4, 4]} wrap>
                  {w.map((x) => (
                    <Tag key={x.id} bordered={false} color="blue">
                      {x.displayName}
                    </Tag>
                  ))}
                </Space>
              ) : (
                <Typography.Text type="secondary">—</Typography.Text>
              ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 90,
            render: (_, r) => (
              <Button type="link" size="small" icon={can('grid.write') ? <EditOutlined /> : undefined} onClick={() => openGrid(r.id)}>
                {can('grid.write') ? t('common.edit') : t('common.detail')}
              </Button>
            ),
          },
        ]}
      />
      <GridDrawer
        id={openId}
        onClose={() => openGrid(null)}
        onSaved={() => setVersion((v) => v + 1)}
      />
    </div>
  );
}

interface GridForm {
  name: string;
  workerIds: string[];
}

function GridDrawer({ id, onClose, onSaved }: { id: string | null; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const showError = useShowError();
  const [form] = Form.useForm<GridForm>();
  const [detail, setDetail] = useState<GridDetail | null>(null);
  const [loading, setLoading] = useState(false);
  const [saving, setSaving] = useState(false);
  const editable = can('grid.write');
  const initialWorkers = useMemo(() => (detail?.workers ?? []).map((w) => ({ id: w.id, label: w.displayName })), [detail]);

  const load = useCallback(
    async (gridId: string) => {
      setLoading(true);
      try {
        const d = await api.grids.get(gridId);
        setDetail(d);
      } catch (e) {
        showError(e);
      } finally {
        setLoading(false);
      }
    },
    [showError],
  );

  useEffect(() => {
    if (id) void load(id);
    else setDetail(null);
  }, [id, load]);

  const save = async () => {
    if (!detail) return;
    const values = await form.validateFields();
    setSaving(true);
    try {
      const updated = await api.grids.update(detail.id, { name: values.name.trim(), workerIds: values.workerIds ?? [] });
      setDetail({ ...detail, ...updated });
      message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      if (!applyFieldErrors(form, e, ['name', 'workerIds'])) showError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      width={520}
      title={detail ? `${t('grid.detail')} · ${detail.name}` : t('grid.detail')}
      destroyOnHidden
      extra={
        editable && (
          <Button type="primary" loading={saving} disabled={!detail} onClick={save}>
            {t('common.save')}
          </Button>
        )
      }
    >
      <Spin spinning={loading}>
        {detail && (
          <>
            <Suspense fallback={<div className="za-mini-map" style={{ height: 240 }} />}>
              <GridMiniMap geometry={detail.geometry ?? null} height={240} />
            </Suspense>
            <Descriptions size="small" bordered column={1} style={{ marginTop: 12 }} styles={{ label: { width: 110 } }}>
              <Descriptions.Item label={t('grid.code')}>{detail.code}</Descriptions.Item>
              <Descriptions.Item label={t('common.community')}>{detail.communityName}</Descriptions.Item>
              <Descriptions.Item label={t('common.street')}>{detail.streetName}</Descriptions.Item>
              {!editable && (
                <Descriptions.Item label={t('common.gridWorkers')}>
                  {detail.workers.length
                    ? detail.workers.map((w) => (
                        <Tag key={w.id} icon={<TeamOutlined />} color="blue">
                          {w.displayName}
                        </Tag>
                      ))
                    : t('map.noWorkers')}
                </Descriptions.Item>
              )}
            </Descriptions>
            {editable && (
              <Form
                key={detail.id}
                form={form}
                layout="vertical"
                style={{ marginTop: 16 }}
                requiredMark={false}
                initialValues={{ name: detail.name, workerIds: detail.workers.map((w) => w.id) }}
              >
                <Form.Item name="name" label={t('grid.name')} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 100 }]}>
                  <Input />
                </Form.Item>
                <Form.Item name="workerIds" label={t('common.gridWorkers')}>
                  <UserPicker
                    placeholder={t('grid.workersPlaceholder')}
                    initial={initialWorkers}
                    canSearch={can('user.read')}
                    role="grid_worker"
                  />
                </Form.Item>
              </Form>
            )}
          </>
        )}
      </Spin>
    </Drawer>
  );
}
