/**
 * 扫码 — the camera or a typed / USB-scanned code. One at a time: a code opens what it names
 * (an item, a case) or shows a storage place with its items. 连续扫码: codes gather in a list
 * (each looked up once, duplicates ignored), then one step for all of them — check in to a
 * place, transfer to an agency, accept a transfer — written all or nothing: when any item
 * cannot take the step, nothing changes and each refused item says why.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Alert, App, Button, Card, Empty, Form, Input, List, Segmented, Select, Space, Spin, Tag, Typography } from 'antd';
import { CloseOutlined, DeleteOutlined, EnvironmentOutlined, LoadingOutlined, ScanOutlined } from '@ant-design/icons';
import { ApiError } from '../../api';
import { useAuth } from '../../app/auth';
import { PageHeader } from '../../components/PageHeader';
import { custodyApi, centreOf, normalizeCode, type ActionBody, type Agency, type Item, type ItemDetail, type Place } from './custody-api';
import { useCustodyI18n, type CKey } from './custody-i18n';
import { ItemStatusTag, qtyText } from './custody-meta';
import { LocationPicker } from './LocationPicker';
import { QrCamera } from './QrCamera';

type Mode = 'single' | 'batch';
type BatchStep = 'check_in' | 'transfer_offer' | 'transfer_accept';

interface Entry {
  code: string;
  state: 'loading' | 'ok' | 'error';
  item?: ItemDetail;
  error?: string;
  /** Why the server refused this item in the last batch. */
  refusal?: string;
  done?: boolean;
}

/** The code input: Enter submits, so USB scanners (which type and press Enter) just work. */
function CodeInput({ onSubmit, busy, label }: { onSubmit: (code: string) => void; busy?: boolean; label: string }) {
  const { t } = useCustodyI18n();
  const [value, setValue] = useState('');
  const ref = useRef<React.ComponentRef<typeof Input>>(null);
  // Ready for a USB scanner at a desk; on a touch screen focusing would pop up the keyboard over the camera.
  const keepFocus = useMemo(() => typeof window !== 'undefined' && !window.matchMedia?.('(pointer: coarse)').matches, []);
  useEffect(() => {
    if (keepFocus) ref.current?.focus();
  }, [keepFocus]);
  const submit = () => {
    const v = value.trim();
    if (!v) return;
    onSubmit(v);
    setValue('');
    if (keepFocus) ref.current?.focus();
  };
  return (
    <Space.Compact style={{ width: '100%' }}>
      <Input
        ref={ref}
        size="large"
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onPressEnter={submit}
        placeholder={t('scan.inputPh')}
        prefix={<ScanOutlined />}
        allowClear
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        className="cz-scan-input"
        data-testid="scan-input"
      />
      <Button size="large" type="primary" onClick={submit} loading={busy} data-testid="scan-submit">
        {label}
      </Button>
    </Space.Compact>
  );
}

function LocationResult({ location, items, onClose }: { location: Place; items: Item[]; onClose: () => void }) {
  const { t, placeKindLabel } = useCustodyI18n();
  return (
    <Card
      size="small"
      className="za-card"
      title={
        <Space>
          <EnvironmentOutlined />
          <span>{location.name}</span>
          <Tag bordered={false}>{placeKindLabel(location.kind)}</Tag>
          <span className="za-mono cz-sub-code">{location.code}</span>
        </Space>
      }
      extra={<Button type="text" size="small" icon={<CloseOutlined />} onClick={onClose} aria-label={t('ev.cancel')} />}
      data-testid="scan-location"
    >
      <div className="cz-section-title">
        {t('scan.locationItems')}（{items.length}）
      </div>
      <List
        size="small"
        dataSource={items}
        locale={{ emptyText: t('st.noItems') }}
        renderItem={(i) => (
          <List.Item>
            <Link to={`/custody/items/${i.id}`} className="cz-scan-item">
              <span className="za-mono">{i.code}</span>
              <span className="cz-scan-item-name">{i.name}</span>
              <ItemStatusTag status={i.status} />
            </Link>
          </List.Item>
        )}
      />
      <Link to={`/custody/items?locationId=${location.id}`}>{t('st.openLedger')}</Link>
    </Card>
  );
}

function SingleScan() {
  const { t, localize } = useCustodyI18n();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const [location, setLocation] = useState<{ location: Place; items: Item[] } | null>(null);
  const busyRef = useRef(false);

  const resolve = async (raw: string) => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    const code = normalizeCode(raw);
    try {
      const r = await custodyApi.scan(raw);
      if (r.kind === 'item') navigate(`/custody/items/${r.item.id}`);
      else if (r.kind === 'case') navigate(`/custody/cases/${r.case.id}`);
      else setLocation({ location: r.location, items: r.items });
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.status === 400)) message.error(t('scan.notFound', { code }));
      else message.error(e instanceof ApiError ? localize(e.message) : String(e));
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  return (
    <div className="cz-scan-layout">
      <div className="cz-scan-camera">
        <QrCamera onCode={(c) => void resolve(c)} paused={busy} />
      </div>
      <div className="cz-scan-side">
        <div className="cz-section-title">{t('scan.input')}</div>
        <CodeInput onSubmit={(c) => void resolve(c)} busy={busy} label={t('scan.go')} />
        <Typography.Paragraph type="secondary" className="cz-scan-hint">
          {t('scan.hint')}
        </Typography.Paragraph>
        {busy && (
          <div className="cz-scan-busy">
            <Spin indicator={<LoadingOutlined />} /> {t('scan.resolving')}
          </div>
        )}
        {location && <LocationResult location={location.location} items={location.items} onClose={() => setLocation(null)} />}
      </div>
    </div>
  );
}

function BatchScan() {
  const { t, localize } = useCustodyI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [entries, setEntries] = useState<Entry[]>([]);
  const entriesRef = useRef(entries);
  entriesRef.current = entries;
  const steps = useMemo(
    () => (['check_in', 'transfer_offer', 'transfer_accept'] as BatchStep[]).filter((s) => (s === 'check_in' ? can('custody.keep') : can('custody.transfer'))),
    [can],
  );
  const [step, setStep] = useState<BatchStep | undefined>(steps[0]);
  const [form] = Form.useForm<{ locationId?: string; toOrgId?: string; documentRef?: string; note?: string; witness?: { username?: string; password?: string } }>();
  const [targets, setTargets] = useState<Agency[]>([]);
  const [saving, setSaving] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);

  useEffect(() => {
    custodyApi.transferTargets().then(setTargets, () => undefined);
  }, []);
  useEffect(() => {
    if (!step && steps.length) setStep(steps[0]);
  }, [steps, step]);

  const add = async (raw: string) => {
    const code = normalizeCode(raw);
    if (!code) return;
    if (entriesRef.current.some((e) => e.code === code)) {
      message.info({ content: t('scan.duplicate', { code }), key: `dup-${code}`, duration: 1.5 });
      return;
    }
    setResult(null);
    setEntries((list) => [{ code, state: 'loading' }, ...list]);
    try {
      const r = await custodyApi.scan(raw);
      if (r.kind !== 'item') {
        message.warning(t('scan.notItem', { code }));
        setEntries((list) => list.filter((e) => e.code !== code));
        return;
      }
      // A label URL or a lower-case code: keep the item's own code, and still one line per item.
      const real = r.item.code;
      setEntries((list) => {
        const others = list.filter((e) => e.code !== code);
        if (others.some((e) => e.code === real)) return others;
        return list.map((e) => (e.code === code ? { code: real, state: 'ok', item: r.item } : e));
      });
    } catch (e) {
      const msg = e instanceof ApiError && (e.status === 404 || e.status === 400) ? t('scan.notFoundShort') : e instanceof ApiError ? localize(e.message) : String(e);
      setEntries((list) => list.map((x) => (x.code === code ? { ...x, state: 'error', error: msg } : x)));
    }
  };

  const ready = entries.filter((e) => e.state === 'ok' && !e.done);
  const centres = [...new Set(ready.map((e) => (e.item ? centreOf(e.item) : null)).filter((x): x is string => !!x))];
  // The place picker keeps its centre once the list is done (the next batch often goes to the same place).
  const lastCentre = useRef<string | undefined>(undefined);
  if (centres[0]) lastCentre.current = centres[0];
  const needsWitness = step === 'check_in' && ready.some((e) => e.item?.twoPerson);
  const stepLabel = step ? t(`scan.step.${step}` as CKey) : '';

  const submit = async () => {
    if (!step || !ready.length) return;
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const body: ActionBody & { codes: string[] } = { type: step, codes: ready.map((e) => e.code) };
    if (step === 'check_in') body.locationId = v.locationId;
    if (step === 'transfer_offer') Object.assign(body, { toOrgId: v.toOrgId, documentRef: v.documentRef?.trim(), note: v.note?.trim() ?? '' });
    if (step === 'transfer_accept') body.note = v.note?.trim() ?? '';
    if (needsWitness && v.witness?.username) body.witness = { username: v.witness.username.trim(), password: v.witness.password ?? '' };
    setSaving(true);
    setRefused(null);
    setEntries((list) => list.map((e) => ({ ...e, refusal: undefined })));
    try {
      const r = await custodyApi.batch(body);
      const done = new Map(r.items.map((i) => [i.code, i.status]));
      setEntries((list) => list.map((e) => (done.has(e.code) && e.item ? { ...e, done: true, item: { ...e.item, status: done.get(e.code)! } } : e)));
      setResult(t('scan.batchDone', { n: r.count, step: stepLabel }));
      message.success(t('scan.batchDone', { n: r.count, step: stepLabel }));
      form.resetFields(['witness', 'note']);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 409 || e.status === 404) && Array.isArray(e.details)) {
        const reasons = new Map((e.details as { code: string; reason: string }[]).map((d) => [d.code, localize(d.reason)]));
        setEntries((list) => list.map((x) => (reasons.has(x.code) ? { ...x, refusal: reasons.get(x.code) } : x)));
        setRefused(localize(e.message));
      } else if (e instanceof ApiError && e.status === 400 && Array.isArray(e.details)) {
        const fields = (e.details as { field?: string; message?: string }[])
          .filter((d) => d.field)
          .map((d) => ({ name: d.field!.split('.') as never, errors: [localize(d.message ?? e.message)] }));
        if (fields.length) form.setFields(fields);
        else setRefused(localize(e.message));
      } else setRefused(e instanceof ApiError ? localize(e.message) : String(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="cz-scan-layout">
      <div className="cz-scan-camera">
        <QrCamera onCode={(c) => void add(c)} />
        <div className="cz-section-title" style={{ marginTop: 12 }}>
          {t('scan.input')}
        </div>
        <CodeInput onSubmit={(c) => void add(c)} label={t('scan.add')} />
        <Typography.Paragraph type="secondary" className="cz-scan-hint">
          {t('scan.hint')}
        </Typography.Paragraph>
      </div>
      <div className="cz-scan-side">
        <Card
          size="small"
          className="za-card"
          title={t('scan.scanned', { n: entries.length })}
          extra={
            entries.length > 0 && (
              <Button
                size="small"
                type="text"
                icon={<DeleteOutlined />}
                onClick={() => {
                  setEntries([]);
                  setRefused(null);
                  setResult(null);
                }}
                data-testid="batch-clear"
              >
                {t('scan.clear')}
              </Button>
            )
          }
          styles={{ body: { padding: entries.length ? 0 : 12 } }}
        >
          {entries.length === 0 ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('scan.empty')} />
          ) : (
            <List
              size="small"
              dataSource={entries}
              className="cz-batch-list"
              data-testid="batch-list"
              renderItem={(e) => (
                <List.Item
                  className={e.refusal ? 'cz-batch-refused' : e.done ? 'cz-batch-done' : undefined}
                  data-testid="batch-entry"
                  data-code={e.code}
                  actions={[<Button key="rm" size="small" type="text" icon={<CloseOutlined />} aria-label={t('scan.remove')} onClick={() => setEntries((list) => list.filter((x) => x.code !== e.code))} />]}
                >
                  <div className="cz-batch-entry">
                    <div className="cz-batch-head">
                      <span className="za-mono">{e.code}</span>
                      {e.state === 'loading' && <Spin size="small" />}
                      {e.item && <ItemStatusTag status={e.item.status} />}
                      {e.done && <Tag color="success">{t('c.done')}</Tag>}
                    </div>
                    {e.item && (
                      <div className="za-cell-sub">
                        {e.item.name} · {qtyText(e.item.quantity, e.item.unit)} · {e.item.holder.name}
                        {e.item.location ? ` · ${e.item.location.path.split(' / ').slice(-1)[0]}` : ''}
                      </div>
                    )}
                    {e.error && <Typography.Text type="danger">{e.error}</Typography.Text>}
                    {e.refusal && (
                      <Typography.Text type="danger" className="cz-batch-reason" data-testid="batch-reason">
                        {e.refusal}
                      </Typography.Text>
                    )}
                  </div>
                </List.Item>
              )}
            />
          )}
        </Card>

        {steps.length > 0 && (
          <Card size="small" className="za-card" title={t('scan.step')}>
            <Segmented block value={step} onChange={(v) => setStep(v as BatchStep)} options={steps.map((s) => ({ value: s, label: t(`scan.step.${s}` as CKey) }))} data-testid="batch-step" style={{ marginBottom: 12 }} />
            <Form form={form} layout="vertical" autoComplete="off">
              {step === 'check_in' && (
                <>
                  {centres.length > 1 && <Alert type="warning" showIcon message={t('scan.manyCentres', { n: centres.length })} style={{ marginBottom: 8 }} />}
                  <Form.Item name="locationId" label={t('f.location')} rules={[{ required: true, message: t('f.locationPh') }]}>
                    <LocationPicker centreId={centres[0] ?? lastCentre.current} />
                  </Form.Item>
                </>
              )}
              {step === 'transfer_offer' && (
                <>
                  <Form.Item name="toOrgId" label={t('f.toOrg')} rules={[{ required: true, message: t('f.requiredPick', { label: t('f.toOrg') }) }]}>
                    <Select options={targets.map((o) => ({ value: o.id, label: o.name }))} showSearch optionFilterProp="label" data-testid="batch-toOrg" />
                  </Form.Item>
                  <Form.Item name="documentRef" label={t('f.documentRefTransfer')} rules={[{ required: true, whitespace: true, message: t('f.required', { label: t('f.documentRefTransfer') }) }]}>
                    <Input maxLength={80} data-testid="batch-documentRef" />
                  </Form.Item>
                </>
              )}
              {(step === 'transfer_offer' || step === 'transfer_accept') && (
                <Form.Item name="note" label={t('f.note')}>
                  <Input maxLength={500} />
                </Form.Item>
              )}
              {needsWitness && (
                <div className="cz-witness">
                  <div className="cz-witness-title">{t('f.witness')}</div>
                  <Typography.Text type="secondary" className="cz-witness-hint">
                    {t('f.witnessHint')}
                  </Typography.Text>
                  <div className="cz-form-grid">
                    <Form.Item name={['witness', 'username']} label={t('f.witnessUser')}>
                      <Input autoComplete="off" />
                    </Form.Item>
                    <Form.Item name={['witness', 'password']} label={t('f.witnessPassword')}>
                      <Input.Password autoComplete="new-password" />
                    </Form.Item>
                  </div>
                </div>
              )}
            </Form>
            <Typography.Paragraph type="secondary" className="cz-scan-hint">
              {t('scan.allOrNothing')}
            </Typography.Paragraph>
            {refused && (
              <Alert type="error" showIcon message={t('scan.batchRefused')} description={refused} style={{ marginBottom: 8 }} data-testid="batch-refused" />
            )}
            {result && <Alert type="success" showIcon message={result} style={{ marginBottom: 8 }} data-testid="batch-result" />}
            <Button type="primary" size="large" block disabled={!ready.length || !step} loading={saving} onClick={submit} data-testid="batch-submit">
              {t('scan.submit', { n: ready.length, step: stepLabel })}
            </Button>
          </Card>
        )}
      </div>
    </div>
  );
}

export default function ScanPage() {
  const { t } = useCustodyI18n();
  const [params, setParams] = useSearchParams();
  const mode: Mode = params.get('mode') === 'batch' ? 'batch' : 'single';
  return (
    <div className="za-page cz-scan-page">
      <PageHeader
        title={t('scan.title')}
        extra={
          <Segmented
            value={mode}
            onChange={(v) => setParams(v === 'batch' ? { mode: 'batch' } : {}, { replace: true })}
            options={[
              { value: 'single', label: t('scan.single') },
              { value: 'batch', label: t('scan.batch') },
            ]}
            data-testid="scan-mode"
          />
        }
      />
      {mode === 'single' ? <SingleScan key="single" /> : <BatchScan key="batch" />}
    </div>
  );
}
