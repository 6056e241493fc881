/**
 * 关爱家庭: households under care (独居老人 and others) whose water meter is watched for
 * days without use. Contacts are masked in the list; revealing one is audited. Staff with
 * household.write register and edit households and link a smart water meter.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { App, Badge, Button, Form, Input, Modal, Segmented, Select, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { EditOutlined, EnvironmentOutlined, EyeOutlined, LinkOutlined, PlusOutlined, TableOutlined } from '@ant-design/icons';
import { useNavigate } from 'react-router-dom';
import { LazyReportMap } from '../reports/ReportMapLazy';
import type { MapPoint } from '../reports/ReportMap';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { applyFieldErrors, useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { tablePagination, usePagedList } from '../../components/usePagedList';
import { formatTime } from '../../format';
import { alertsApi, type Device, type Household } from './alerts-api';
import './alerts.css';

/** The server's fixed list of care tags (GET /households/care-tags), in case it cannot be read. */
const CARE_TAGS = ['独居老人', '孤寡老人', '残障', '留守儿童', '困境儿童', '重病', '低保'];
const TAG_COLORS: Record<string, string> = { 独居老人: 'volcano', 孤寡老人: 'red', 残障: 'purple', 留守儿童: 'cyan', 困境儿童: 'blue', 重病: 'magenta', 低保: 'geekblue' };

interface HhQuery {
  q?: string;
  careTag?: string;
  page: number;
  pageSize: number;
}

export default function HouseholdsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [params] = useSearchParams();
  const [query, setQuery] = useState<HhQuery>(() => ({ page: 1, pageSize: 20, q: params.get('q') ?? undefined }));
  const [keyword, setKeyword] = useState(query.q ?? '');
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<Household | 'new' | null>(null);
  const [linking, setLinking] = useState<Household | null>(null);
  const { data, loading } = usePagedList(alertsApi.households.list, query, version);
  const highlight = params.get('id');
  const canWrite = can('household.write');
  const navigate = useNavigate();
  const [view, setView] = useState<'table' | 'map'>('table');
  const [mapItems, setMapItems] = useState<Household[]>([]);
  useEffect(() => {
    if (view !== 'map') return;
    let cancelled = false;
    alertsApi.households.list({ q: query.q, careTag: query.careTag, page: 1, pageSize: 200 }).then((p) => !cancelled && setMapItems(p.items), () => undefined);
    return () => {
      cancelled = true;
    };
  }, [view, query.q, query.careTag, version]);
  const points = useMemo<MapPoint[]>(
    () =>
      mapItems
        .filter((h) => typeof h.lng === 'number' && typeof h.lat === 'number')
        .map((h) => ({
          id: h.id,
          lng: h.lng!,
          lat: h.lat!,
          color: !h.meter ? '#f97316' : h.meter.online ? '#16a34a' : '#94a3b8',
          title: h.addressText,
          lines: [h.careTags.join('、'), h.meter ? `${t('al.meter')} ${h.meter.code} · ${h.meter.online ? t('al.online') : t('al.offline')}` : t('al.noMeter')],
        })),
    [mapItems, t],
  );
  const legend = (
    <div className="za-status-legend">
      <span>
        <i style={{ background: '#16a34a' }} />
        {t('al.meterOnline')}
      </span>
      <span>
        <i style={{ background: '#94a3b8' }} />
        {t('al.meterOffline')}
      </span>
      <span>
        <i style={{ background: '#f97316' }} />
        {t('al.noMeter')}
      </span>
    </div>
  );

  return (
    <div className="za-page">
      <PageHeader
        title={t('nav.alerts.households')}
        sub={t('al.householdsSub')}
        extra={
          canWrite && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')} data-testid="household-create">
              {t('al.newHousehold')}
            </Button>
          )
        }
      />
      <div className="za-filter-bar">
        <Input.Search
          allowClear
          enterButton
          placeholder={t('al.searchHouseholds')}
          style={{ width: 240 }}
          value={keyword}
          onChange={(e) => setKeyword(e.target.value)}
          onSearch={(v) => setQuery((q) => ({ ...q, q: v.trim() || undefined, page: 1 }))}
        />
        <Select
          allowClear
          placeholder={t('al.careTags')}
          style={{ width: 140 }}
          value={query.careTag}
          options={CARE_TAGS.map((c) => ({ value: c, label: c }))}
          onChange={(v?: string) => setQuery((q) => ({ ...q, careTag: v, page: 1 }))}
        />
        <span style={{ flex: 1 }} />
        <Segmented
          value={view}
          onChange={(v) => setView(v as 'table' | 'map')}
          options={[
            { value: 'table', icon: <TableOutlined />, label: t('rep.viewTable') },
            { value: 'map', icon: <EnvironmentOutlined />, label: t('rep.viewMap') },
          ]}
        />
      </div>
      {view === 'map' ? (
        <LazyReportMap height="calc(100vh - 260px)" points={points} legend={legend} showGrids onOpen={(id) => {
            const meter = mapItems.find((h) => h.id === id)?.meter;
            if (meter) navigate(`/alerts/devices/${meter.id}`);
          }} openLabel={t('al.openMeter')} testId="households-map" />
      ) : (
      <Table<Household>
        size="small"
        bordered
        rowKey="id"
        loading={loading}
        dataSource={data.items}
        scroll={{ x: 1000 }}
        rowClassName={(r) => (r.id === highlight ? 'za-row-highlight' : '')}
        pagination={tablePagination(query, (u) => setQuery(u), data.total, (n) => t('common.total', { n }))}
        onRow={(r) => ({ 'data-testid': 'household-row', 'data-id': r.id }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('al.address'), dataIndex: 'addressText', ellipsis: true, render: (v: string, r) => <Tooltip title={v}>{v}<div className="za-cell-sub">{[r.communityName, r.gridName].filter(Boolean).join(' · ')}</div></Tooltip> },
          {
            title: t('al.careTags'),
            dataIndex: 'careTags',
            width: 170,
            render: (v: string[]) => (
              <Space size={2} wrap>
                {(v ?? []).map((c) => (
                  <Tag key={c} color={TAG_COLORS[c] ?? 'blue'} bordered={false}>
                    {c}
                  </Tag>
                ))}
              </Space>
            ),
          },
          { title: t('al.contact'), key: 'contact', width: 230, render: (_: unknown, r) => <HouseholdContact household={r} /> },
          {
            title: t('al.meter'),
            key: 'meter',
            width: 170,
            render: (_: unknown, r) =>
              r.meter ? (
                <div>
                  <Link to={`/alerts/devices/${r.meter.id}`} className="za-mono">
                    {r.meter.code}
                  </Link>{' '}
                  <Badge status={r.meter.online ? 'success' : 'default'} text={r.meter.online ? t('al.online') : t('al.offline')} />
                  <div className="za-cell-sub">{r.meter.lastReadingAt ? t('al.lastReadingShort', { t: formatTime(r.meter.lastReadingAt) }) : t('al.never')}</div>
                </div>
              ) : (
                <Typography.Text type="warning">{t('al.noMeter')}</Typography.Text>
              ),
          },
          ...(canWrite
            ? [
                {
                  title: t('common.actions'),
                  key: 'actions',
                  width: 176,
                  fixed: 'right' as const,
                  render: (_: unknown, r: Household) => (
                    <Space size={0}>
                      <Button size="small" type="link" icon={<EditOutlined />} onClick={() => setEditing(r)}>
                        {t('common.edit')}
                      </Button>
                      <Button size="small" type="link" icon={<LinkOutlined />} onClick={() => setLinking(r)} data-testid="household-link-meter">
                        {t('al.linkMeter')}
                      </Button>
                    </Space>
                  ),
                },
              ]
            : []),
        ]}
      />
      )}
      <HouseholdModal
        value={editing}
        onClose={(changed) => {
          setEditing(null);
          if (changed) setVersion((v) => v + 1);
        }}
      />
      <LinkMeterModal
        household={linking}
        onClose={(changed) => {
          setLinking(null);
          if (changed) setVersion((v) => v + 1);
        }}
      />
    </div>
  );
}

/** The masked contact, and the audited reveal (with a confirmation saying so). */
function HouseholdContact({ household }: { household: Household }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const { modal } = App.useApp();
  const showError = useShowError();
  const [full, setFull] = useState<{ contactName: string; contactPhone: string | null } | null>(null);
  const [loading, setLoading] = useState(false);
  const reveal = () =>
    modal.confirm({
      title: t('al.contactTitle'),
      content: t('rep.contactAudited'),
      okText: t('common.ok'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        setLoading(true);
        try {
          setFull(await alertsApi.households.contact(household.id));
        } catch (e) {
          showError(e);
        } finally {
          setLoading(false);
        }
      },
    });
  const name = full ? full.contactName : household.contactName;
  const phone = full ? full.contactPhone : household.contactPhone;
  return (
    <div>
      <span data-testid="household-contact">
        {name} <span className="za-mono">{phone ?? ''}</span>
      </span>
      <div>
        {full ? (
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('rep.contactNote')}
          </Typography.Text>
        ) : (
          can('household.read') && (
            <span className="za-reveal">
              <Button size="small" type="link" icon={<EyeOutlined />} loading={loading} onClick={reveal} style={{ padding: 0 }} data-testid="household-reveal">
                {t('al.reveal')}
              </Button>
              <Typography.Text type="secondary" className="za-reveal-note">
                {t('al.audited')}
              </Typography.Text>
            </span>
          )
        )}
      </div>
    </div>
  );
}

const HH_FIELDS = ['addressText', 'contactName', 'contactPhone', 'careTags', 'note', 'lng', 'lat'];

function HouseholdModal({ value, onClose }: { value: Household | 'new' | null; onClose: (changed: boolean) => void }) {
  const { t } = useI18n();
  const showError = useShowError();
  const [form] = Form.useForm<{ addressText: string; contactName?: string; contactPhone?: string; careTags: string[]; note?: string }>();
  const [saving, setSaving] = useState(false);
  const isNew = value === 'new';
  useEffect(() => {
    if (!value) return;
    form.resetFields();
    if (value === 'new') form.setFieldsValue({ careTags: ['独居老人'] });
    else form.setFieldsValue({ addressText: value.addressText, careTags: value.careTags, note: value.note ?? undefined });
  }, [value, form]);
  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      // The contact is masked in the list: only send it when it was typed again.
      const body = {
        addressText: v.addressText.trim(),
        careTags: v.careTags ?? [],
        note: v.note?.trim() ?? '',
        ...(v.contactName?.trim() ? { contactName: v.contactName.trim() } : {}),
        ...(v.contactPhone?.trim() ? { contactPhone: v.contactPhone.trim() } : {}),
      };
      if (value === 'new') await alertsApi.households.create(body);
      else if (value) await alertsApi.households.update(value.id, body);
      onClose(true);
    } catch (e) {
      if (!applyFieldErrors(form, e, HH_FIELDS)) showError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={!!value} title={isNew ? t('al.newHousehold') : t('al.editHousehold')} onCancel={() => onClose(false)} onOk={submit} confirmLoading={saving} okText={t('common.save')} destroyOnHidden>
      <Form form={form} layout="vertical" data-testid="household-form">
        <Form.Item name="addressText" label={t('al.address')} rules={[{ required: true, message: t('common.required') }]} extra={t('al.householdAddressHint')}>
          <Input maxLength={200} />
        </Form.Item>
        <Space size={12} style={{ display: 'flex' }} wrap>
          <Form.Item name="contactName" label={t('al.contactName')} rules={isNew ? [{ required: true, message: t('common.required') }] : []} style={{ minWidth: 160 }}>
            <Input maxLength={20} placeholder={isNew ? undefined : t('al.keepBlank')} />
          </Form.Item>
          <Form.Item name="contactPhone" label={t('al.contactPhone')} rules={[{ pattern: /^1\d{10}$|^0\d{2,3}-?\d{7,8}$/, message: t('al.phoneRule') }]} style={{ minWidth: 200 }}>
            <Input maxLength={20} placeholder={isNew ? undefined : t('al.keepBlank')} />
          </Form.Item>
        </Space>
        <Form.Item name="careTags" label={t('al.careTags')} rules={[{ required: true, message: t('common.required') }]}>
          <Select mode="multiple" options={CARE_TAGS.map((c) => ({ value: c, label: c }))} />
        </Form.Item>
        <Form.Item name="note" label={t('set.note')}>
          <Input.TextArea maxLength={200} showCount placeholder={t('al.notePlaceholderHh')} autoSize={{ minRows: 2, maxRows: 4 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function LinkMeterModal({ household, onClose }: { household: Household | null; onClose: (changed: boolean) => void }) {
  const { t } = useI18n();
  const showError = useShowError();
  const [meters, setMeters] = useState<Device[]>([]);
  const [choice, setChoice] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [q, setQ] = useState('');
  useEffect(() => {
    if (!household) return;
    setChoice(household.meter?.id ?? null);
  }, [household]);
  useEffect(() => {
    if (!household) return;
    const timer = setTimeout(() => {
      alertsApi.devices.list({ type: 'water_meter', q: q || undefined, pageSize: 50 }).then((p) => setMeters(p.items), () => undefined);
    }, 250);
    return () => clearTimeout(timer);
  }, [household, q]);
  const options = useMemo(() => {
    const list = meters.map((m) => ({ value: m.id, label: `${m.code} · ${m.name}${m.household && m.household.id !== household?.id ? `（${t('al.meterTaken')}）` : ''}` }));
    if (household?.meter && !list.some((o) => o.value === household.meter!.id)) list.unshift({ value: household.meter.id, label: household.meter.code });
    return list;
  }, [meters, household, t]);
  const save = async (deviceId: string | null) => {
    if (!household) return;
    setSaving(true);
    try {
      await alertsApi.households.linkMeter(household.id, deviceId);
      onClose(true);
    } catch (e) {
      showError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal
      open={!!household}
      title={t('al.linkMeter')}
      onCancel={() => onClose(false)}
      footer={
        <Space>
          {household?.meter && (
            <Button danger onClick={() => save(null)} loading={saving}>
              {t('al.unlinkMeter')}
            </Button>
          )}
          <Button onClick={() => onClose(false)}>{t('common.cancel')}</Button>
          <Button type="primary" disabled={!choice} loading={saving} onClick={() => save(choice)}>
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph type="secondary">{household?.addressText}</Typography.Paragraph>
      <Select showSearch filterOption={false} onSearch={setQ} value={choice ?? undefined} onChange={setChoice} options={options} placeholder={t('al.pickMeter')} style={{ width: '100%' }} />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8 }}>
        {t('al.linkMeterHint')}
      </Typography.Paragraph>
    </Modal>
  );
}
