/**
 * 库房 — a property centre's storage map: its rooms as cards and, inside them, cabinets,
 * shelves and bins as tiles coloured by how full they are (green / amber / red against their
 * capacity). A click lists what is stored there (and below). Clerks with custody.locations
 * create rooms, cabinets, shelves, bins and centres here, and print the places' QR labels.
 */
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Drawer, Dropdown, Empty, Form, Input, InputNumber, List, Modal, Select, Skeleton, Space, Tag, TreeSelect, Typography } from 'antd';
import { EnvironmentOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { api, type Org } from '../../api';
import { useAuth } from '../../app/auth';
import { useShowError } from '../../app/feedback';
import { PageHeader } from '../../components/PageHeader';
import { custodyApi, custodyUrls, LOCATION_CHILDREN, type Item, type LocationKind, type Place, type StorageMap } from './custody-api';
import { useCustodyI18n, type CKey } from './custody-i18n';
import { ItemStatusTag, PrintLabelsButton, qtyText, useCustodyErrors } from './custody-meta';
import { placeTree, useStorageMap } from './LocationPicker';

/** free / busy / full against a capacity; vacant = a capacity and nothing in it; none = no capacity set. */
type Level = 'vacant' | 'free' | 'busy' | 'full' | 'none' | 'empty';

/** How full a place is: against its capacity when it has one. */
function levelOf(p: Place): Level {
  const n = p.kind === 'bin' ? (p.direct ?? p.occupancy ?? 0) : (p.occupancy ?? 0);
  if (p.capacity === null) return n ? 'none' : 'empty';
  if (!n) return 'vacant';
  if (n >= p.capacity) return 'full';
  if (n / p.capacity >= 0.7) return 'busy';
  return 'free';
}

function countText(p: Place): string {
  const n = p.occupancy ?? 0;
  return p.capacity !== null ? `${n}/${p.capacity}` : String(n);
}

function Legend() {
  const { t } = useCustodyI18n();
  return (
    <div className="cz-legend">
      {(['vacant', 'free', 'busy', 'full', 'none'] as const).map((l) => (
        <span key={l}>
          <i className={`cz-occ-${l}`} />
          {t(`st.legend.${l}`)}
        </span>
      ))}
    </div>
  );
}

function PlaceBlock({ place, children, onOpen }: { place: Place; children: Map<string, Place[]>; onOpen: (p: Place) => void }) {
  const { placeKindLabel } = useCustodyI18n();
  const kids = children.get(place.id) ?? [];
  const bins = kids.filter((k) => k.kind === 'bin');
  const units = kids.filter((k) => k.kind !== 'bin');
  if (place.kind === 'bin')
    return (
      <button type="button" className={`cz-tile cz-occ-${levelOf(place)}`} onClick={() => onOpen(place)} title={`${place.name}（${place.code}）`} data-testid="storage-tile" data-code={place.code}>
        <span className="cz-tile-name">{place.name}</span>
        <span className="cz-tile-count">{countText(place)}</span>
      </button>
    );
  const head = (
    <button type="button" className={`cz-unit-head cz-occ-${levelOf(place)}-soft`} onClick={() => onOpen(place)}>
      <span className="cz-unit-kind">{placeKindLabel(place.kind)}</span>
      <span className="cz-unit-name">{place.name}</span>
      <span className="cz-unit-count">{countText(place)}</span>
    </button>
  );
  // A shelf or cabinet with nothing inside it: one bar, not a box around nothing.
  if (!kids.length)
    return (
      <div className="cz-unit-leaf" data-testid="storage-unit" data-code={place.code}>
        {head}
      </div>
    );
  return (
    <div className={`cz-unit cz-unit-${place.kind}`} data-testid="storage-unit" data-code={place.code}>
      <button type="button" className={`cz-unit-head cz-occ-${levelOf(place)}-soft`} onClick={() => onOpen(place)}>
        <span className="cz-unit-kind">{placeKindLabel(place.kind)}</span>
        <span className="cz-unit-name">{place.name}</span>
        <span className="cz-unit-count">{countText(place)}</span>
      </button>
      {bins.length > 0 && (
        <div className="cz-tiles">
          {bins.map((b) => (
            <PlaceBlock key={b.id} place={b} children={children} onOpen={onOpen} />
          ))}
        </div>
      )}
      {units.map((u) => (
        <PlaceBlock key={u.id} place={u} children={children} onOpen={onOpen} />
      ))}
    </div>
  );
}

/** The items stored at a place and below it (each place with items looked up by its id). */
function PlaceItems({ map, place, onClose }: { map: StorageMap; place: Place | null; onClose: () => void }) {
  const { t, placeKindLabel } = useCustodyI18n();
  const showError = useShowError();
  const [items, setItems] = useState<Item[] | null>(null);
  useEffect(() => {
    if (!place) return;
    setItems(null);
    const under = map.places.filter((p) => (p.id === place.id || placePath(map, p).includes(place.id)) && (p.direct ?? 0) > 0);
    Promise.all(under.map((p) => custodyApi.items.list({ locationId: p.id, pageSize: 200 })))
      .then((pages) => setItems(pages.flatMap((pg) => pg.items)))
      .catch((e: unknown) => {
        showError(e);
        setItems([]);
      });
  }, [map, place, showError]);
  return (
    <Drawer
      open={!!place}
      onClose={onClose}
      width={Math.min(520, window.innerWidth)}
      title={
        place && (
          <Space wrap>
            <Tag bordered={false}>{placeKindLabel(place.kind)}</Tag>
            <span>{place.name}</span>
            <span className="za-mono cz-sub-code">{place.code}</span>
          </Space>
        )
      }
      data-testid="place-items"
    >
      {place && (
        <Typography.Paragraph type="secondary">
          {countText(place)} · <Link to={`/custody/items?locationId=${place.id}`}>{t('st.openLedger')}</Link>
        </Typography.Paragraph>
      )}
      {items === null ? (
        <Skeleton active />
      ) : (
        <List
          dataSource={items}
          locale={{ emptyText: t('st.noItems') }}
          renderItem={(i) => (
            <List.Item>
              <div className="cz-place-item">
                <div>
                  <Link to={`/custody/items/${i.id}`} className="za-mono">
                    {i.code}
                  </Link>{' '}
                  <ItemStatusTag status={i.status} />
                </div>
                <div>
                  {i.name} · {qtyText(i.quantity, i.unit)}
                </div>
                <div className="za-cell-sub">
                  {i.case.caseNumber} · {i.location?.path.split(' / ').slice(-1)[0]}
                </div>
              </div>
            </List.Item>
          )}
        />
      )}
    </Drawer>
  );
}

/** Ids of a place's ancestors (the map gives parents only). */
function placePath(map: StorageMap, p: Place): string[] {
  const byId = new Map(map.places.map((x) => [x.id, x]));
  const out: string[] = [];
  for (let x = p.parentId ? byId.get(p.parentId) : undefined; x; x = x.parentId ? byId.get(x.parentId) : undefined) out.push(x.id);
  return out;
}

function NewPlaceModal({ kind, map, onClose, onCreated }: { kind: LocationKind | null; map: StorageMap; onClose: () => void; onCreated: () => void }) {
  const { t, placeKindLabel } = useCustodyI18n();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<{ parentId: string; name: string; code?: string; capacity?: number | null }>();
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const tree = useMemo(() => {
    if (!kind) return [];
    const canHold = (p: Place) => LOCATION_CHILDREN[p.kind].includes(kind);
    const roots = kind === 'room' ? [] : placeTree(map, (p) => ({ title: `${placeKindLabel(p.kind)} · ${p.name}（${p.code}）`, label: p.name, disabled: !canHold(p) }));
    return roots;
  }, [kind, map, placeKindLabel]);
  useEffect(() => {
    if (!kind) return;
    form.resetFields();
    setRefusal(null);
  }, [kind, form]);
  if (!kind) return null;
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setRefusal(null);
    try {
      const p = await custodyApi.createLocation({ kind, parentId: kind === 'room' ? map.centre.id : v.parentId, name: v.name.trim(), code: v.code?.trim() || null, capacity: v.capacity ?? null });
      message.success(t('st.created', { name: p.name, code: p.code }));
      onCreated();
    } catch (e) {
      setRefusal(handleError(e, form, ['parentId', 'name', 'code', 'capacity', 'kind']));
    } finally {
      setSaving(false);
    }
  };
  const kindText = placeKindLabel(kind);
  return (
    <Modal open title={t('st.newOf', { kind: kindText })} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('c.submit')} destroyOnHidden>
      {refusal && <Alert type="error" showIcon message={refusal} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" data-testid="place-form">
        {kind !== 'room' && (
          <Form.Item name="parentId" label={t('st.parent')} rules={[{ required: true, message: t('f.requiredPick', { label: t('st.parent') }) }]}>
            <TreeSelect treeData={tree} treeDefaultExpandAll showSearch treeNodeFilterProp="label" data-testid="place-parent" />
          </Form.Item>
        )}
        <Form.Item name="name" label={t('d.name')} rules={[{ required: true, whitespace: true, message: t('f.required', { label: t('d.name') }) }]}>
          <Input maxLength={60} data-testid="place-name" />
        </Form.Item>
        <div className="cz-form-grid">
          <Form.Item name="code" label={t('st.code')} extra={t('st.codeHint')} rules={[{ pattern: /^[A-Za-z0-9-]{2,40}$/, message: t('st.codeRule') }]}>
            <Input maxLength={40} className="cz-mono-input" />
          </Form.Item>
          <Form.Item name="capacity" label={t('st.capacity')} extra={t('st.capacityHint')}>
            <InputNumber min={1} precision={0} style={{ width: '100%' }} data-testid="place-capacity" />
          </Form.Item>
        </div>
      </Form>
    </Modal>
  );
}

function NewCentreModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (p: Place) => void }) {
  const { t } = useCustodyI18n();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<{ name: string; code?: string; operatorOrgId: string; addressText?: string; lng?: number | null; lat?: number | null }>();
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setRefusal(null);
    api.orgs.list().then((r) => setOrgs(r.items.filter((o) => o.kind === 'department' || o.kind === 'agency')), () => undefined);
  }, [open, form]);
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    try {
      const p = await custodyApi.createLocation({ kind: 'centre', name: v.name.trim(), code: v.code?.trim() || null, operatorOrgId: v.operatorOrgId, addressText: v.addressText?.trim() || null, lng: v.lng ?? null, lat: v.lat ?? null });
      message.success(t('st.created', { name: p.name, code: p.code }));
      onCreated(p);
    } catch (e) {
      setRefusal(handleError(e, form, ['name', 'code', 'operatorOrgId', 'addressText', 'lng', 'lat']));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={open} title={t('st.newCentre')} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('c.submit')} destroyOnHidden>
      {refusal && <Alert type="error" showIcon message={refusal} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical">
        <Form.Item name="name" label={t('d.name')} rules={[{ required: true, whitespace: true, message: t('f.required', { label: t('d.name') }) }]}>
          <Input maxLength={60} />
        </Form.Item>
        <Form.Item name="operatorOrgId" label={t('st.operator')} rules={[{ required: true, message: t('f.requiredPick', { label: t('st.operator') }) }]}>
          <Select options={orgs.map((o) => ({ value: o.id, label: o.name }))} showSearch optionFilterProp="label" />
        </Form.Item>
        <Form.Item name="code" label={t('st.code')} extra={t('st.codeHint')}>
          <Input maxLength={40} className="cz-mono-input" />
        </Form.Item>
        <Form.Item name="addressText" label={t('st.address')}>
          <Input maxLength={200} />
        </Form.Item>
        <div className="cz-form-grid">
          <Form.Item name="lng" label={t('st.lng')}>
            <InputNumber min={-180} max={180} precision={6} style={{ width: '100%' }} />
          </Form.Item>
          <Form.Item name="lat" label={t('st.lat')}>
            <InputNumber min={-90} max={90} precision={6} style={{ width: '100%' }} />
          </Form.Item>
        </div>
      </Form>
    </Modal>
  );
}

export default function StoragePage() {
  const { t, placeKindLabel } = useCustodyI18n();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const [centres, setCentres] = useState<Place[] | null>(null);
  const [version, setVersion] = useState(0);
  const [open, setOpen] = useState<Place | null>(null);
  const [creating, setCreating] = useState<LocationKind | null>(null);
  const [creatingCentre, setCreatingCentre] = useState(false);
  const centreId = params.get('centre') ?? centres?.[0]?.id ?? null;
  const { map, error } = useStorageMap(centreId, version);
  const mayEdit = can('custody.locations');

  useEffect(() => {
    custodyApi.centres().then(setCentres, () => setCentres([]));
  }, [version]);

  const children = useMemo(() => {
    const m = new Map<string, Place[]>();
    for (const p of map?.places ?? []) {
      if (!p.parentId) continue;
      const list = m.get(p.parentId) ?? [];
      list.push(p);
      m.set(p.parentId, list);
    }
    for (const list of m.values()) list.sort((a, b) => a.code.localeCompare(b.code));
    return m;
  }, [map]);
  const rooms = map ? (children.get(map.centre.id) ?? []) : [];

  return (
    <div className="za-page">
      <PageHeader
        title={t('st.title')}
        extra={
          <Space wrap>
            <Select
              style={{ minWidth: 240 }}
              placeholder={t('st.pickCentre')}
              value={centreId ?? undefined}
              options={(centres ?? []).map((c) => ({ value: c.id, label: c.name }))}
              onChange={(v: string) => setParams({ centre: v })}
              data-testid="storage-centre"
            />
            {mayEdit && map && (
              <Dropdown
                trigger={['click']}
                menu={{
                  items: (['room', 'cabinet', 'shelf', 'bin'] as const).map((k) => ({ key: k, label: t(`st.new.${k}` as CKey) })),
                  onClick: ({ key }) => setCreating(key as LocationKind),
                }}
              >
                <Button type="primary" icon={<PlusOutlined />} data-testid="storage-new">
                  {t('st.new')}
                </Button>
              </Dropdown>
            )}
            {mayEdit && (
              <Button icon={<EnvironmentOutlined />} onClick={() => setCreatingCentre(true)}>
                {t('st.newCentre')}
              </Button>
            )}
            {centreId && <PrintLabelsButton url={(f) => custodyUrls.locationLabels(centreId, f)} label={t('st.printLabels')} testId="storage-labels" />}
            <Button icon={<ReloadOutlined />} onClick={() => setVersion((v) => v + 1)} aria-label={t('c.refresh')} />
          </Space>
        }
      />
      {centres && !centres.length && <Empty description={t('st.noCentre')} />}
      {!!error && <Alert type="error" showIcon message={t('c.loadFailed')} />}
      {map && (
        <>
          <div className="cz-centre-line">
            <Typography.Text strong>{map.centre.name}</Typography.Text>
            <span className="za-mono cz-sub-code">{map.centre.code}</span>
            {map.centre.addressText && <Typography.Text type="secondary"> · {map.centre.addressText}</Typography.Text>}
            <Tag color="blue" style={{ marginLeft: 8 }}>
              {t('st.occupancy', { n: map.centre.occupancy ?? 0 })}
            </Tag>
            <Legend />
          </div>
          {rooms.length === 0 ? (
            <Empty description={t('st.empty')} />
          ) : (
            <div className="cz-rooms" data-testid="storage-rooms">
              {rooms.map((r) => {
                const kids = children.get(r.id) ?? [];
                return (
                  <Card
                    key={r.id}
                    size="small"
                    className={`cz-room cz-room-${levelOf(r)}`}
                    title={
                      <button type="button" className="cz-room-title" onClick={() => setOpen(r)}>
                        <span className="cz-unit-kind">{placeKindLabel('room')}</span>
                        {r.name}
                        <span className="za-mono cz-sub-code">{r.code}</span>
                      </button>
                    }
                    extra={<Tag className={`cz-count-tag cz-occ-${levelOf(r)}`}>{countText(r)}</Tag>}
                    data-testid="storage-room"
                  >
                    {kids.length ? (
                      <div className="cz-room-body">
                        {kids.filter((k) => k.kind === 'bin').length > 0 && (
                          <div className="cz-tiles">
                            {kids
                              .filter((k) => k.kind === 'bin')
                              .map((b) => (
                                <PlaceBlock key={b.id} place={b} children={children} onOpen={setOpen} />
                              ))}
                          </div>
                        )}
                        {kids
                          .filter((k) => k.kind !== 'bin')
                          .map((k) => (
                            <PlaceBlock key={k.id} place={k} children={children} onOpen={setOpen} />
                          ))}
                      </div>
                    ) : (
                      <Typography.Text type="secondary">{r.direct ? t('st.occupancy', { n: r.direct }) : t('st.emptyRoom')}</Typography.Text>
                    )}
                  </Card>
                );
              })}
            </div>
          )}
          <PlaceItems map={map} place={open} onClose={() => setOpen(null)} />
          <NewPlaceModal
            kind={creating}
            map={map}
            onClose={() => setCreating(null)}
            onCreated={() => {
              setCreating(null);
              setVersion((v) => v + 1);
            }}
          />
        </>
      )}
      <NewCentreModal
        open={creatingCentre}
        onClose={() => setCreatingCentre(false)}
        onCreated={(p) => {
          setCreatingCentre(false);
          setParams({ centre: p.id });
          setVersion((v) => v + 1);
        }}
      />
    </div>
  );
}
