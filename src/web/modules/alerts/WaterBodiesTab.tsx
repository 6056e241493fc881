/**
 * 水体: rivers and lakes with their target class (功能区目标) and the alarm levels (how many
 * classes worse than the target makes a yellow or a red warning), and the GB 3838-2002
 * single-factor calculator: type the readings, get the class and the indicator that decides it.
 */
import { useCallback, useEffect, useState } from 'react';
import { Button, Card, Col, Form, Input, InputNumber, Modal, Row, Segmented, Select, Space, Table, Tag, Typography } from 'antd';
import { CalculatorOutlined, PlusOutlined } from '@ant-design/icons';
import { useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { applyFieldErrors, useShowError } from '../../app/feedback';
import { alertsApi, WATER_INDICATORS, type Assessment, type WaterBody, type WaterIndicator } from './alerts-api';
import { CLASS_HEX, LEVEL_HEX, indicatorLabel } from './alerts-meta';
import { classText } from './DeviceForms';
import { UserPicker } from '../core/UserPicker';
import type { RemoteOption } from '../../components/RemoteMultiSelect';

export function WaterBodiesTab() {
  const { t } = useI18n();
  const { can } = useAuth();
  const showError = useShowError();
  const [list, setList] = useState<WaterBody[]>([]);
  const [loading, setLoading] = useState(false);
  const [editing, setEditing] = useState<WaterBody | 'new' | null>(null);

  const load = useCallback(() => {
    setLoading(true);
    alertsApi.waterBodies
      .list()
      .then(setList, showError)
      .finally(() => setLoading(false));
  }, [showError]);
  useEffect(load, [load]);

  return (
    <Row gutter={12}>
      <Col xs={24} xl={14}>
        <Card
          size="small"
          title={t('al.waterBodies')}
          className="za-card"
          extra={
            can('alert.configure') && (
              <Button size="small" type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
                {t('al.newWaterBody')}
              </Button>
            )
          }
        >
          <Table<WaterBody>
            size="small"
            rowKey="id"
            loading={loading}
            dataSource={list}
            pagination={false}
            columns={[
              { title: t('common.name'), dataIndex: 'name' },
              { title: t('al.waterKind'), dataIndex: 'kind', width: 80, render: (v: string) => t(v === 'lake' ? 'al.lake' : 'al.river') },
              {
                title: t('al.targetClass'),
                dataIndex: 'targetClass',
                width: 100,
                render: (v: number) => (
                  <Tag bordered={false} style={{ background: CLASS_HEX[v - 1], color: '#fff' }}>
                    {t('al.classOf', { c: classText(v) })}
                  </Tag>
                ),
              },
              {
                title: t('al.alarmLevels'),
                dataIndex: 'alarmLevels',
                width: 170,
                render: (v: WaterBody['alarmLevels']) =>
                  v ? (
                    <span className="za-by-level">
                      <span>
                        <i style={{ background: LEVEL_HEX.yellow }} />
                        {t('al.worseBy', { n: v.yellow })}
                      </span>
                      <span>
                        <i style={{ background: LEVEL_HEX.red }} />
                        {t('al.worseBy', { n: v.red })}
                      </span>
                    </span>
                  ) : (
                    '—'
                  ),
              },
              { title: t('al.chief'), dataIndex: 'chief', width: 90, render: (v: WaterBody['chief']) => v?.name ?? '—' },
              { title: t('al.stations'), dataIndex: 'stations', width: 70, align: 'right' as const, render: (v?: number) => v ?? '—' },
              ...(can('alert.configure')
                ? [
                    {
                      title: t('common.actions'),
                      key: 'a',
                      width: 70,
                      render: (_: unknown, r: WaterBody) => (
                        <Button size="small" type="link" onClick={() => setEditing(r)}>
                          {t('common.edit')}
                        </Button>
                      ),
                    },
                  ]
                : []),
            ]}
          />
          <Typography.Paragraph type="secondary" style={{ fontSize: 12, margin: '8px 0 0' }}>
            {t('al.waterBodiesHint')}
          </Typography.Paragraph>
        </Card>
      </Col>
      <Col xs={24} xl={10}>
        <WaterQualityCalculator />
      </Col>
      <WaterBodyModal
        value={editing}
        onClose={(changed) => {
          setEditing(null);
          if (changed) load();
        }}
      />
    </Row>
  );
}

function WaterBodyModal({ value, onClose }: { value: WaterBody | 'new' | null; onClose: (changed: boolean) => void }) {
  const { t } = useI18n();
  const showError = useShowError();
  const { can } = useAuth();
  const [form] = Form.useForm<{ name: string; kind: 'river' | 'lake'; targetClass: number; yellow: number; red: number; chief: string[] }>();
  const [chiefInitial, setChiefInitial] = useState<RemoteOption[]>([]);
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!value) return;
    form.resetFields();
    if (value === 'new') form.setFieldsValue({ kind: 'river', targetClass: 3, yellow: 1, red: 2, chief: [] });
    else form.setFieldsValue({ name: value.name, kind: value.kind, targetClass: value.targetClass, yellow: value.alarmLevels?.yellow ?? 1, red: value.alarmLevels?.red ?? 2, chief: value.chief ? [value.chief.id] : [] });
    setChiefInitial(value !== 'new' && value.chief ? [{ id: value.chief.id, label: value.chief.name }] : []);
  }, [value, form]);
  const submit = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      const body = { name: v.name.trim(), kind: v.kind, targetClass: v.targetClass, alarmLevels: { yellow: v.yellow, red: v.red }, chiefUserId: v.chief?.[v.chief.length - 1] ?? null };
      if (value === 'new') await alertsApi.waterBodies.create(body);
      else if (value) await alertsApi.waterBodies.update(value.id, body);
      onClose(true);
    } catch (e) {
      if (!applyFieldErrors(form, e, ['name', 'kind', 'targetClass'])) showError(e);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={!!value} title={value === 'new' ? t('al.newWaterBody') : t('al.editWaterBody')} onCancel={() => onClose(false)} onOk={submit} confirmLoading={saving} okText={t('common.save')} destroyOnHidden>
      <Form form={form} layout="vertical">
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true, message: t('common.required') }]}>
          <Input maxLength={40} />
        </Form.Item>
        <Space size={12} wrap>
          <Form.Item name="kind" label={t('al.waterKind')}>
            <Segmented options={[{ value: 'river', label: t('al.river') }, { value: 'lake', label: t('al.lake') }]} />
          </Form.Item>
          <Form.Item name="targetClass" label={t('al.targetClass')}>
            <Select style={{ width: 110 }} options={[1, 2, 3, 4, 5].map((c) => ({ value: c, label: t('al.classOf', { c: classText(c) }) }))} />
          </Form.Item>
        </Space>
        <Space size={12} wrap>
          <Form.Item name="yellow" label={t('al.yellowAfter')} rules={[{ required: true }]}>
            <InputNumber min={1} max={5} addonAfter={t('al.classesWorse')} />
          </Form.Item>
          <Form.Item name="red" label={t('al.redAfter')} rules={[{ required: true }]}>
            <InputNumber min={1} max={5} addonAfter={t('al.classesWorse')} />
          </Form.Item>
        </Space>
        <Form.Item name="chief" label={t('al.chief')} getValueFromEvent={(v: string[]) => v.slice(-1)}>
          <UserPicker canSearch={can('user.read')} initial={chiefInitial} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** The single-factor assessment: the worst indicator decides the class. */
export function WaterQualityCalculator() {
  const { t } = useI18n();
  const showError = useShowError();
  const [kind, setKind] = useState<'river' | 'lake'>('river');
  const [values, setValues] = useState<Partial<Record<WaterIndicator, number | null>>>({ DO: 6.2, NH3N: 1.2, TP: 0.18, CODMn: 5 });
  const [result, setResult] = useState<Assessment | null>(null);
  const [busy, setBusy] = useState(false);

  const assess = async () => {
    const readings: Partial<Record<WaterIndicator, number>> = {};
    for (const k of WATER_INDICATORS) if (typeof values[k] === 'number') readings[k] = values[k]!;
    setBusy(true);
    try {
      setResult(await alertsApi.waterQuality.assess(kind, readings));
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card size="small" title={t('al.calculator')} className="za-card" data-testid="wq-calculator">
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('al.calculatorHint')}
      </Typography.Paragraph>
      <Segmented value={kind} onChange={(v) => setKind(v as 'river' | 'lake')} options={[{ value: 'river', label: t('al.river') }, { value: 'lake', label: t('al.lake') }]} style={{ marginBottom: 10 }} />
      <div className="za-calc-grid">
        {WATER_INDICATORS.map((k) => (
          <label key={k} className="za-calc-field">
            <span>{indicatorLabel(t, k)}</span>
            <InputNumber
              size="small"
              min={0}
              step={0.01}
              value={values[k] ?? null}
              onChange={(v) => setValues((o) => ({ ...o, [k]: typeof v === 'number' ? v : null }))}
              addonAfter="mg/L"
              style={{ width: '100%' }}
              data-testid={`wq-${k}`}
            />
          </label>
        ))}
      </div>
      <Button type="primary" icon={<CalculatorOutlined />} loading={busy} onClick={assess} style={{ marginTop: 10 }} data-testid="wq-assess">
        {t('al.assess')}
      </Button>
      {result && (
        <div className="za-calc-result" data-testid="wq-result">
          <div className="za-calc-class" style={{ background: CLASS_HEX[result.class - 1] }}>
            {result.label}
            {result.quality && <small>{result.quality}</small>}
          </div>
          <div>
            <div>
              {t('al.decisive')}
              {result.decisive.map((k) => (
                <Tag key={k} color="red" bordered={false} style={{ marginLeft: 6 }}>
                  {indicatorLabel(t, k)}
                </Tag>
              ))}
            </div>
            <div className="za-calc-each">
              {Object.entries(result.indicators).map(([k, v]) => (
                <span key={k}>
                  {indicatorLabel(t, k)} {v.value} → <b style={{ color: CLASS_HEX[v.class - 1] }}>{v.label}</b>
                </span>
              ))}
            </div>
          </div>
        </div>
      )}
    </Card>
  );
}
