/**
 * Registering and editing a device (place picked on the map), and the one-time display of a
 * device secret with its MQTT topic: the server keeps only a hash, so this is the only chance
 * to copy it into the device.
 */
import { useEffect, useState } from 'react';
import { Alert, Col, Form, Input, InputNumber, Modal, Row, Select, Typography } from 'antd';
import { applyFieldErrors, useShowError } from '../../app/feedback';
import { useI18n } from '../../i18n';
import { LazyReportMap } from '../reports/ReportMapLazy';
import { alertsApi, DEVICE_TYPES, type Device, type DeviceInput, type DeviceType, type Household, type WaterBody } from './alerts-api';
import { deviceTypeLabel } from './alerts-meta';

const FIELDS = ['code', 'name', 'type', 'lng', 'lat', 'addressText', 'owner', 'waterBodyId', 'householdId'];

interface FormValues {
  code: string;
  name: string;
  type: DeviceType;
  lng: number | null;
  lat: number | null;
  addressText?: string;
  owner?: string;
  waterBodyId?: string | null;
  householdId?: string | null;
}

export function DeviceFormModal({
  open,
  device,
  onClose,
  onCreated,
  onSaved,
}: {
  open: boolean;
  /** Editing this device; a new one when absent. */
  device?: Device | null;
  onClose: () => void;
  onCreated?: (r: { id: string; secret: string; code: string }) => void;
  onSaved?: () => void;
}) {
  const { t } = useI18n();
  const showError = useShowError();
  const [form] = Form.useForm<FormValues>();
  const [saving, setSaving] = useState(false);
  const [waterBodies, setWaterBodies] = useState<WaterBody[]>([]);
  const [households, setHouseholds] = useState<Household[]>([]);
  const type = Form.useWatch('type', form);
  const lng = Form.useWatch('lng', form);
  const lat = Form.useWatch('lat', form);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    if (device)
      form.setFieldsValue({
        code: device.code,
        name: device.name,
        type: device.type,
        lng: device.lng,
        lat: device.lat,
        addressText: device.addressText ?? undefined,
        owner: device.owner ?? undefined,
        waterBodyId: device.waterBody?.id ?? null,
        householdId: device.household?.id ?? null,
      });
    else form.setFieldsValue({ type: 'water_quality' });
    alertsApi.waterBodies.list().then(setWaterBodies, () => undefined);
  }, [open, device, form]);

  useEffect(() => {
    if (!open || type !== 'water_meter') return;
    alertsApi.households.list({ pageSize: 200 }).then((p) => setHouseholds(p.items), () => undefined);
  }, [open, type]);

  const submit = async () => {
    const v = await form.validateFields();
    const body: DeviceInput = {
      name: v.name.trim(),
      lng: v.lng ?? null,
      lat: v.lat ?? null,
      addressText: v.addressText?.trim() || null,
      owner: v.owner?.trim() ?? '',
      waterBodyId: v.type === 'water_quality' ? (v.waterBodyId ?? null) : null,
      householdId: v.type === 'water_meter' ? (v.householdId ?? null) : null,
    };
    setSaving(true);
    try {
      if (device) {
        await alertsApi.devices.update(device.id, body);
        onSaved?.();
      } else {
        const r = await alertsApi.devices.create({ ...body, code: v.code.trim(), type: v.type, owner: body.owner ?? '' });
        onCreated?.({ ...r, code: v.code.trim() });
      }
    } catch (e) {
      if (!applyFieldErrors(form, e, FIELDS)) showError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal open={open} title={device ? t('al.editDevice') : t('al.newDevice')} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('common.save')} width={760} destroyOnHidden>
      <Form form={form} layout="vertical" data-testid="device-form">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="code" label={t('al.deviceCode')} rules={[{ required: true, message: t('common.required') }, { pattern: /^[A-Za-z0-9_-]{3,64}$/, message: t('al.codeRule') }]} extra={device ? undefined : t('al.codeHint')}>
              <Input disabled={!!device} className="za-mono" data-testid="device-code" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="name" label={t('common.name')} rules={[{ required: true, message: t('common.required') }]}>
              <Input maxLength={60} data-testid="device-name" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="type" label={t('al.deviceType')} rules={[{ required: true }]}>
              <Select disabled={!!device} options={DEVICE_TYPES.map((d) => ({ value: d, label: deviceTypeLabel(t, d) }))} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="owner" label={t('al.owner')}>
              <Input maxLength={60} />
            </Form.Item>
          </Col>
          {type === 'water_quality' && (
            <Col xs={24} sm={12}>
              <Form.Item name="waterBodyId" label={t('al.waterBody')} extra={t('al.waterBodyHint')}>
                <Select allowClear options={waterBodies.map((w) => ({ value: w.id, label: `${w.name}（${t('al.targetClassShort', { c: classText(w.targetClass) })}）` }))} />
              </Form.Item>
            </Col>
          )}
          {type === 'water_meter' && (
            <Col xs={24} sm={12}>
              <Form.Item name="householdId" label={t('al.household')}>
                <Select allowClear showSearch optionFilterProp="label" options={households.map((h) => ({ value: h.id, label: `${h.addressText} · ${h.contactName}` }))} />
              </Form.Item>
            </Col>
          )}
          <Col xs={24}>
            <Form.Item name="addressText" label={t('al.address')}>
              <Input maxLength={200} placeholder={t('al.addressPlaceholder')} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="lng" label={t('al.lng')} rules={[{ required: true, message: t('al.pickOnMap') }]}>
              <InputNumber style={{ width: '100%' }} min={-180} max={180} step={0.0001} precision={6} />
            </Form.Item>
          </Col>
          <Col xs={12} sm={6}>
            <Form.Item name="lat" label={t('al.lat')} rules={[{ required: true, message: t('al.pickOnMap') }]}>
              <InputNumber style={{ width: '100%' }} min={-90} max={90} step={0.0001} precision={6} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginTop: 30 }}>
              {t('al.pickHint')}
            </Typography.Text>
          </Col>
        </Row>
        <LazyReportMap
          height={240}
          showGrids
          pin={typeof lng === 'number' && typeof lat === 'number' ? { lng, lat } : null}
          onPick={(x, y) => form.setFieldsValue({ lng: x, lat: y })}
          testId="device-pick-map"
        />
      </Form>
    </Modal>
  );
}

export function classText(c: number | null | undefined): string {
  return c ? (['Ⅰ', 'Ⅱ', 'Ⅲ', 'Ⅳ', 'Ⅴ', '劣Ⅴ'][c - 1] ?? String(c)) : '—';
}

/** The secret, shown once, with the MQTT topic the device publishes to. */
export function SecretModal({ value, onClose }: { value: { code: string; secret: string } | null; onClose: () => void }) {
  const { t } = useI18n();
  return (
    <Modal open={!!value} title={t('al.secretTitle')} onCancel={onClose} onOk={onClose} okText={t('al.secretCopied')} cancelButtonProps={{ style: { display: 'none' } }} maskClosable={false} width={560}>
      {value && (
        <div data-testid="device-secret-modal">
          <Alert type="warning" showIcon message={t('al.secretOnce')} style={{ marginBottom: 12 }} />
          <div className="za-secret-row">
            <span className="za-secret-label">{t('al.deviceCode')}</span>
            <Typography.Text copyable className="za-mono">
              {value.code}
            </Typography.Text>
          </div>
          <div className="za-secret-row">
            <span className="za-secret-label">{t('al.secret')}</span>
            <Typography.Text copyable={{ text: value.secret }} className="za-mono za-secret" data-testid="device-secret">
              {value.secret}
            </Typography.Text>
          </div>
          <div className="za-secret-row">
            <span className="za-secret-label">{t('al.mqttTopic')}</span>
            <Typography.Text copyable className="za-mono">
              {`zhian/devices/${value.code}/readings`}
            </Typography.Text>
          </div>
          <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8, marginBottom: 0 }}>
            {t('al.mqttHint')}
          </Typography.Paragraph>
        </div>
      )}
    </Modal>
  );
}
