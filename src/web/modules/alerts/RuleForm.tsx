/**
 * The drawer creating or editing a rule: name, kind, which devices, the verification task's
 * category, and a form of parameters per kind (bounds per level, durations, schedule) — no
 * JSON needed, though an "advanced JSON" switch shows and edits the raw parameters.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Button, Col, Divider, Drawer, Form, Input, InputNumber, Radio, Row, Select, Space, Switch, Typography } from 'antd';
import { ExperimentOutlined } from '@ant-design/icons';
import { useI18n, type TFunc } from '../../i18n';
import { applyFieldErrors, useShowError } from '../../app/feedback';
import { RemoteMultiSelect, type RemoteOption } from '../../components/RemoteMultiSelect';
import { alertsApi, DEVICE_TYPES, LEVELS, RULE_KINDS, TASK_CATEGORIES, type AlertRule, type DeviceType, type Level, type RuleKind } from './alerts-api';
import { durationText } from '../reports/report-meta';
import { LEVEL_HEX, deviceTypeLabel, indicatorLabel, kindLabel, taskCategoryLabel } from './alerts-meta';

export const DEFAULT_PARAMS: Record<RuleKind, Record<string, unknown>> = {
  threshold: { indicator: 'NH3N', direction: 'above', levels: { yellow: 1.0, red: 1.5 }, hysteresis: 0.05, minDurationSec: 600 },
  water_quality: { minDurationSec: 1800, levels: { yellow: 1, red: 2 } },
  no_signal: { levels: { yellow: 60, red: 240 } },
  no_consumption: { levels: { yellow: 12, red: 24 }, minDelta: 0.01, careTags: ['独居老人'] },
  unregistered_resident: { windowDays: 30, levels: { green: 5, yellow: 10, red: 20 }, schedule: 'monthly' },
  multi_enterprise: { levels: { green: 3, yellow: 5, red: 10 }, schedule: 'monthly' },
};
const DEFAULT_DEVICE_TYPE: Record<RuleKind, DeviceType | null> = {
  threshold: 'water_quality',
  water_quality: 'water_quality',
  no_signal: null,
  no_consumption: 'water_meter',
  unregistered_resident: null,
  multi_enterprise: null,
};
const DEFAULT_TASK: Record<RuleKind, string> = {
  water_quality: '0901',
  no_consumption: '0902',
  unregistered_resident: '0903',
  multi_enterprise: '0904',
  no_signal: '0905',
  threshold: '0906',
};
/** Which levels a kind may use; the first ones are optional where the rule allows it. */
const KIND_LEVELS: Record<RuleKind, Level[]> = {
  threshold: ['green', 'yellow', 'red'],
  water_quality: ['yellow', 'red'],
  no_signal: ['yellow', 'red'],
  no_consumption: ['yellow', 'red'],
  unregistered_resident: ['green', 'yellow', 'red'],
  multi_enterprise: ['green', 'yellow', 'red'],
};
const THRESHOLD_INDICATORS = ['DO', 'CODMn', 'COD', 'BOD5', 'NH3N', 'TP', 'pH', 'temperature', 'turbidity', 'flow'];
const DEVICE_KINDS: RuleKind[] = ['threshold', 'water_quality', 'no_signal', 'no_consumption'];

/** The unit of a kind's level bounds. */
export function levelUnit(t: TFunc, kind: RuleKind, params: Record<string, unknown>): string {
  switch (kind) {
    case 'threshold':
      return typeof params.indicator === 'string' ? indicatorUnitText(params.indicator) : '';
    case 'water_quality':
      return t('al.unit.classes');
    case 'no_signal':
      return t('al.unit.minutes');
    case 'no_consumption':
      return t('al.unit.hours');
    case 'unregistered_resident':
      return t('al.unit.days');
    case 'multi_enterprise':
      return t('al.unit.enterprises');
  }
}

function indicatorUnitText(k: string): string {
  return { DO: 'mg/L', CODMn: 'mg/L', COD: 'mg/L', BOD5: 'mg/L', NH3N: 'mg/L', TP: 'mg/L', temperature: '℃', turbidity: 'NTU', flow: 'm³/h' }[k] ?? '';
}

/** "黄色 ≥ 1 类 · 红色 ≥ 2 类" for the rules table. */
export function paramsSummary(t: TFunc, rule: Pick<AlertRule, 'kind' | 'params'>): string {
  const p = rule.params ?? {};
  const levels = (p.levels ?? {}) as Partial<Record<Level, number>>;
  const below = rule.kind === 'threshold' && p.direction === 'below';
  const unit = levelUnit(t, rule.kind, p);
  // Silences read better as durations: 1080 minutes is 18 hours.
  const minutes = rule.kind === 'no_signal' ? 1 : rule.kind === 'no_consumption' ? 60 : 0;
  const value = (v: number) => (minutes ? durationText(v * minutes, t) : `${v}${unit ? ` ${unit}` : ''}`);
  const parts = (['green', 'yellow', 'red'] as Level[])
    .filter((l) => typeof levels[l] === 'number')
    .map((l) => `${t(`al.level.${l}`)} ${below ? '≤' : '≥'} ${value(levels[l]!)}`);
  const head = rule.kind === 'threshold' && typeof p.indicator === 'string' ? `${indicatorLabel(t, p.indicator)}：` : '';
  return head + parts.join(' · ');
}

interface FormValues {
  name: string;
  kind: RuleKind;
  deviceType: DeviceType | 'any';
  deviceIds: string[];
  taskCategory: string;
  enabled: boolean;
  params: Record<string, unknown>;
}

const FIELDS = ['name', 'kind', 'deviceType', 'deviceIds', 'taskCategory', 'enabled', 'params'];

/** Drops empty level bounds (a level the rule does not use). */
function cleanParams(p: FormValues['params']): Record<string, unknown> {
  const out: Record<string, unknown> = { ...p };
  const given = p.levels as Partial<Record<Level, number | null>> | undefined;
  if (given) {
    const levels: Partial<Record<Level, number>> = {};
    for (const l of LEVELS) if (typeof given[l] === 'number') levels[l] = given[l]!;
    out.levels = levels;
  }
  for (const [k, v] of Object.entries(out)) if (v === undefined || v === null || v === '') delete out[k];
  return out;
}

export function RuleDrawer({
  open,
  rule,
  onClose,
  onSaved,
  onDryRun,
}: {
  open: boolean;
  rule: AlertRule | null;
  onClose: () => void;
  onSaved: (r: AlertRule) => void;
  /** Starts a dry run of the saved rule with the draft's parameters. */
  onDryRun: (rule: AlertRule, params: Record<string, unknown>) => void;
}) {
  const { t } = useI18n();
  const showError = useShowError();
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [json, setJson] = useState<string | null>(null);
  const [jsonError, setJsonError] = useState<string | null>(null);
  const [initialDevices, setInitialDevices] = useState<RemoteOption[]>([]);
  const kind = (Form.useWatch('kind', form) ?? rule?.kind ?? 'water_quality') as RuleKind;
  const deviceType = Form.useWatch('deviceType', form) as FormValues['deviceType'] | undefined;
  const direction = Form.useWatch(['params', 'direction'], form) as string | undefined;
  const indicator = Form.useWatch(['params', 'indicator'], form) as string | undefined;

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setJson(null);
    setJsonError(null);
    const k = rule?.kind ?? 'water_quality';
    form.setFieldsValue({
      name: rule?.name ?? '',
      kind: k,
      deviceType: (rule ? rule.deviceType : DEFAULT_DEVICE_TYPE[k]) ?? 'any',
      deviceIds: rule?.deviceIds ?? [],
      taskCategory: rule?.taskCategory ?? DEFAULT_TASK[k],
      enabled: rule?.enabled ?? true,
      params: structuredClone(rule?.params ?? DEFAULT_PARAMS[k]) as never,
    });
    if (rule?.deviceIds?.length) {
      alertsApi.devices
        .list({ type: rule.deviceType ?? undefined, pageSize: 200 })
        .then((p) => setInitialDevices(p.items.filter((d) => rule.deviceIds.includes(d.id)).map((d) => ({ id: d.id, label: d.code, hint: d.name }))), () => undefined);
    } else setInitialDevices([]);
  }, [open, rule, form]);

  const onKindChange = (k: RuleKind) => {
    form.setFieldsValue({ params: structuredClone(DEFAULT_PARAMS[k]) as never, deviceType: DEFAULT_DEVICE_TYPE[k] ?? 'any', taskCategory: DEFAULT_TASK[k], deviceIds: [] });
    if (json !== null) setJson(JSON.stringify(DEFAULT_PARAMS[k], null, 2));
  };

  /** The parameters as they stand (from the JSON box when it is open). */
  const currentParams = (): Record<string, unknown> | null => {
    if (json !== null) {
      try {
        const p = JSON.parse(json) as unknown;
        if (!p || typeof p !== 'object' || Array.isArray(p)) throw new Error(t('al.jsonObject'));
        setJsonError(null);
        return p as Record<string, unknown>;
      } catch (e) {
        setJsonError(e instanceof Error ? e.message : String(e));
        return null;
      }
    }
    return cleanParams(form.getFieldValue('params') as never);
  };

  const toggleJson = (on: boolean) => {
    if (on) {
      setJson(JSON.stringify(cleanParams(form.getFieldValue('params') as never), null, 2));
      setJsonError(null);
    } else {
      const p = currentParams();
      if (!p) return;
      form.setFieldsValue({ params: p as never });
      setJson(null);
    }
  };

  const submit = async () => {
    const v = await form.validateFields();
    const params = currentParams();
    if (!params) return;
    const body = {
      name: v.name.trim(),
      kind: v.kind,
      deviceType: v.deviceType === 'any' ? null : v.deviceType,
      deviceIds: v.deviceIds?.length ? v.deviceIds : null,
      params,
      taskCategory: v.taskCategory,
      enabled: v.enabled,
    };
    setSaving(true);
    try {
      const saved = rule ? await alertsApi.rules.update(rule.id, { ...body, kind: undefined }) : await alertsApi.rules.create(body);
      onSaved(saved);
    } catch (e) {
      if (!applyFieldErrors(form, e, FIELDS)) showError(e);
      // Errors about a parameter ("params.levels.red") go next to the JSON box or the form.
      const details = (e as { details?: { field?: string; message?: string }[] }).details;
      const p = Array.isArray(details) ? details.find((d) => d.field?.startsWith('params') || d.field === 'levels') : undefined;
      if (p) setJsonError(`${p.field}: ${p.message}`);
    } finally {
      setSaving(false);
    }
  };

  const levelsUsed = KIND_LEVELS[kind];
  const unit = levelUnit(t, kind, { indicator });
  const isDeviceKind = DEVICE_KINDS.includes(kind);
  const fetchDevices = useMemo(
    () => async (q: string) => {
      const p = await alertsApi.devices.list({ q: q || undefined, type: deviceType && deviceType !== 'any' ? deviceType : undefined, pageSize: 30 });
      return p.items.map((d) => ({ id: d.id, label: d.code, hint: d.name }));
    },
    [deviceType],
  );

  return (
    <Drawer
      open={open}
      onClose={onClose}
      title={rule ? t('al.editRule', { name: rule.name }) : t('al.newRule')}
      width="min(620px, 100vw)"
      destroyOnHidden
      extra={
        <Space>
          {rule && (
            <Button
              icon={<ExperimentOutlined />}
              onClick={() => {
                const p = currentParams();
                if (p) onDryRun(rule, p);
              }}
              data-testid="rule-drawer-dry-run"
            >
              {t('al.dryRunDraft')}
            </Button>
          )}
          <Button type="primary" loading={saving} onClick={submit} data-testid="rule-save">
            {t('common.save')}
          </Button>
        </Space>
      }
    >
      <Form form={form} layout="vertical" data-testid="rule-form">
        <Row gutter={12}>
          <Col xs={24} sm={14}>
            <Form.Item name="name" label={t('common.name')} rules={[{ required: true, message: t('common.required') }, { max: 60 }]}>
              <Input maxLength={60} data-testid="rule-name" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={10}>
            <Form.Item name="enabled" label={t('al.enabled')} valuePropName="checked">
              <Switch />
            </Form.Item>
          </Col>
          <Col xs={24} sm={14}>
            <Form.Item name="kind" label={t('al.kind')} rules={[{ required: true }]} extra={t(`al.kindHint.${kind}`)}>
              <Select disabled={!!rule} onChange={onKindChange} options={RULE_KINDS.map((k) => ({ value: k, label: kindLabel(t, k) }))} data-testid="rule-kind" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={10}>
            <Form.Item name="taskCategory" label={t('al.taskCategory')} rules={[{ required: true }]}>
              <Select options={TASK_CATEGORIES.map((c) => ({ value: c, label: taskCategoryLabel(t, c) }))} popupMatchSelectWidth={240} />
            </Form.Item>
          </Col>
          {isDeviceKind && (
            <>
              <Col xs={24} sm={10}>
                <Form.Item name="deviceType" label={t('al.deviceType')}>
                  <Select options={[{ value: 'any', label: t('al.anyDeviceType') }, ...DEVICE_TYPES.map((d) => ({ value: d, label: deviceTypeLabel(t, d) }))]} />
                </Form.Item>
              </Col>
              <Col xs={24} sm={14}>
                <Form.Item name="deviceIds" label={t('al.deviceIds')} extra={t('al.deviceIdsHint')}>
                  <RemoteMultiSelect fetch={fetchDevices} initial={initialDevices} placeholder={t('al.allDevicesOfType')} maxTagCount="responsive" />
                </Form.Item>
              </Col>
            </>
          )}
        </Row>

        <Divider orientation="left" plain style={{ margin: '4px 0 12px' }}>
          <Space>
            {t('al.params')}
            <Switch size="small" checked={json !== null} onChange={toggleJson} data-testid="rule-json-toggle" />
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('al.advancedJson')}
            </Typography.Text>
          </Space>
        </Divider>

        {json !== null ? (
          <>
            <Input.TextArea
              value={json}
              onChange={(e) => {
                setJson(e.target.value);
                setJsonError(null);
              }}
              autoSize={{ minRows: 8, maxRows: 20 }}
              className="za-mono"
              status={jsonError ? 'error' : undefined}
              data-testid="rule-json"
            />
            {jsonError && <Alert type="error" showIcon message={jsonError} style={{ marginTop: 8 }} />}
          </>
        ) : (
          <>
            {kind === 'threshold' && (
              <Row gutter={12}>
                <Col xs={24} sm={12}>
                  <Form.Item name={['params', 'indicator']} label={t('al.indicator')} rules={[{ required: true, message: t('common.required') }]}>
                    <Select showSearch options={THRESHOLD_INDICATORS.map((k) => ({ value: k, label: `${indicatorLabel(t, k)}（${k}）` }))} />
                  </Form.Item>
                </Col>
                <Col xs={24} sm={12}>
                  <Form.Item name={['params', 'direction']} label={t('al.direction')}>
                    <Radio.Group optionType="button" options={[{ value: 'above', label: t('al.above') }, { value: 'below', label: t('al.below') }]} />
                  </Form.Item>
                </Col>
              </Row>
            )}
            <div className="za-level-bounds">
              <div className="za-level-bounds-title">{levelsTitle(t, kind, direction)}</div>
              <Row gutter={12}>
                {levelsUsed.map((l) => (
                  <Col key={l} xs={24} sm={8}>
                    <Form.Item
                      name={['params', 'levels', l]}
                      label={
                        <span className="za-level-label">
                          <i style={{ background: LEVEL_HEX[l] }} />
                          {t(`al.level.${l}`)}
                        </span>
                      }
                      rules={l === 'red' || (kind !== 'threshold' && l === 'yellow') ? [{ required: true, message: t('common.required') }] : []}
                    >
                      <InputNumber style={{ width: '100%' }} min={0} step={kind === 'threshold' ? 0.01 : 1} addonAfter={unit || undefined} placeholder={l === 'green' || (kind === 'threshold' && l === 'yellow') ? t('al.optional') : undefined} data-testid={`level-${l}`} />
                    </Form.Item>
                  </Col>
                ))}
              </Row>
            </div>
            {kind === 'threshold' && (
              <Row gutter={12}>
                <Col xs={24} sm={12}>
                  <Form.Item name={['params', 'hysteresis']} label={t('al.hysteresis')} extra={t('al.hysteresisHint')}>
                    <InputNumber style={{ width: '100%' }} min={0} step={0.01} addonAfter={unit || undefined} />
                  </Form.Item>
                </Col>
                <Col xs={24} sm={12}>
                  <Form.Item name={['params', 'minDurationSec']} label={t('al.minDuration')} extra={t('al.minDurationHint')}>
                    <InputNumber style={{ width: '100%' }} min={0} step={60} addonAfter={t('al.unit.seconds')} />
                  </Form.Item>
                </Col>
              </Row>
            )}
            {kind === 'water_quality' && (
              <Form.Item name={['params', 'minDurationSec']} label={t('al.minDuration')} extra={t('al.minDurationHint')}>
                <InputNumber style={{ width: 220 }} min={0} step={60} addonAfter={t('al.unit.seconds')} />
              </Form.Item>
            )}
            {kind === 'no_consumption' && (
              <Row gutter={12}>
                <Col xs={24} sm={10}>
                  <Form.Item name={['params', 'minDelta']} label={t('al.minDelta')} extra={t('al.minDeltaHint')}>
                    <InputNumber style={{ width: '100%' }} min={0} step={0.01} addonAfter="m³" />
                  </Form.Item>
                </Col>
                <Col xs={24} sm={14}>
                  <Form.Item name={['params', 'careTags']} label={t('al.careTags')} extra={t('al.careTagsHint')}>
                    <Select mode="multiple" options={['独居老人', '孤寡老人', '残障', '重病', '低保', '留守儿童', '困境儿童'].map((c) => ({ value: c, label: c }))} />
                  </Form.Item>
                </Col>
              </Row>
            )}
            {kind === 'unregistered_resident' && (
              <Form.Item name={['params', 'windowDays']} label={t('al.windowDays')} extra={t('al.windowDaysHint')}>
                <InputNumber style={{ width: 200 }} min={1} max={365} addonAfter={t('al.unit.days')} />
              </Form.Item>
            )}
            {(kind === 'unregistered_resident' || kind === 'multi_enterprise') && (
              <Form.Item name={['params', 'schedule']} label={t('al.schedule')}>
                <Radio.Group
                  optionType="button"
                  options={[
                    { value: 'monthly', label: t('al.schedule.monthly') },
                    { value: 'weekly', label: t('al.schedule.weekly') },
                    { value: 'off', label: t('al.schedule.off') },
                  ]}
                />
              </Form.Item>
            )}
          </>
        )}
      </Form>
    </Drawer>
  );
}

function levelsTitle(t: TFunc, kind: RuleKind, direction: string | undefined): string {
  if (kind === 'threshold') return direction === 'below' ? t('al.boundsBelow') : t('al.boundsAbove');
  return t(`al.bounds.${kind}`);
}
