/**
 * The case forms: 登记案件 (one code per case, kept at a property centre), 登记物品 (several
 * items at once, one code each, with photos taken on the spot) and 结案.
 */
import { useEffect, useRef, useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Form, Input, InputNumber, Modal, Radio, Select, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { shanghaiIso, TIME_ZONE } from '../../format';
import { PhotoUploader } from '../reports/PhotoUploader';
import { custodyApi, ITEM_TYPES, OWNER_KINDS, type CaseDetail, type CaseKind, type CaseSummary, type Item, type ItemType, type OwnerKind, type Place } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import { toCents, useCustodyErrors } from './custody-meta';

const CASE_FIELDS = ['caseNumber', 'title', 'kind', 'openedAt', 'centreId'];

export function CaseFormModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (c: CaseSummary) => void }) {
  const { t } = useCustodyI18n();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<{ caseNumber: string; title: string; kind: CaseKind; openedAt: dayjs.Dayjs; centreId: string }>();
  const [centres, setCentres] = useState<Place[]>([]);
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setRefusal(null);
    form.setFieldsValue({ kind: 'criminal', openedAt: dayjs().tz(TIME_ZONE) });
    custodyApi.centres().then((list) => {
      setCentres(list);
      if (list.length === 1) form.setFieldsValue({ centreId: list[0].id });
    }, () => undefined);
  }, [open, form]);

  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setRefusal(null);
    try {
      const c = await custodyApi.cases.create({ caseNumber: v.caseNumber.trim(), title: v.title.trim(), kind: v.kind, openedAt: shanghaiIso(v.openedAt)!, centreId: v.centreId });
      message.success(t('case.created', { code: c.code }));
      onCreated(c);
    } catch (e) {
      setRefusal(handleError(e, form, CASE_FIELDS));
    } finally {
      setSaving(false);
    }
  };

  const req = (label: string) => [{ required: true, whitespace: true, message: t('f.required', { label }) }];
  return (
    <Modal open={open} title={t('case.new')} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('c.submit')} destroyOnHidden width={600}>
      {refusal && <Alert type="error" showIcon message={refusal} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" data-testid="case-form">
        <Form.Item name="caseNumber" label={t('c.caseNumber')} rules={req(t('c.caseNumber'))}>
          <Input maxLength={60} placeholder="海公（刑）立字〔2026〕0001号" data-testid="case-number" />
        </Form.Item>
        <Form.Item name="title" label={t('c.caseTitle')} rules={req(t('c.caseTitle'))}>
          <Input maxLength={100} data-testid="case-title" />
        </Form.Item>
        <div className="cz-form-grid">
          <Form.Item name="kind" label={t('case.kind')} rules={[{ required: true }]}>
            <Radio.Group
              optionType="button"
              buttonStyle="solid"
              options={[
                { value: 'criminal', label: t('c.kind.criminal') },
                { value: 'administrative', label: t('c.kind.administrative') },
              ]}
            />
          </Form.Item>
          <Form.Item name="openedAt" label={t('case.openedAt')} rules={[{ required: true, message: t('f.requiredPick', { label: t('case.openedAt') }) }]}>
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} disabledDate={(d) => d.isAfter(dayjs().endOf('day'))} />
          </Form.Item>
        </div>
        <Form.Item name="centreId" label={t('c.centre')} extra={t('case.centreHint')} rules={[{ required: true, message: t('f.requiredPick', { label: t('c.centre') }) }]}>
          <Select options={centres.map((c) => ({ value: c.id, label: c.name }))} data-testid="case-centre" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

interface ItemValues {
  type: ItemType;
  name: string;
  description?: string;
  quantity: number;
  unit: string;
  valueCents?: number | null;
  ownerKind: OwnerKind;
  ownerName?: string;
  ownerPhone?: string;
  seizureDoc: string;
  seizedAt: dayjs.Dayjs;
  photoFileIds?: string[];
}

/** The usual unit of a type, filled in when the type is picked and the unit is empty. */
const DEFAULT_UNIT: Partial<Record<ItemType, string>> = { cash: '元', vehicle: '辆', electronic: '部', document: '份', weapon: '把', valuables: '件', drugs: '克', other: '件' };

const ITEM_FIELDS = ['items'];

export function RegisterItemsModal({ open, caseDetail, onClose, onDone }: { open: boolean; caseDetail: CaseDetail; onClose: () => void; onDone: (items: Item[]) => void }) {
  const { t, typeLabel } = useCustodyI18n();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<{ items: ItemValues[] }>();
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [busy, setBusy] = useState<Record<number, boolean>>({});
  const anyBusy = Object.values(busy).some(Boolean);
  const keySeq = useRef(0);

  const blank = (prev?: ItemValues): Partial<ItemValues> => ({
    type: undefined as unknown as ItemType,
    quantity: 1,
    ownerKind: prev?.ownerKind ?? 'person',
    ownerName: prev?.ownerName,
    ownerPhone: prev?.ownerPhone,
    seizureDoc: prev?.seizureDoc,
    seizedAt: prev?.seizedAt ? prev.seizedAt.clone() : dayjs().tz(TIME_ZONE),
    photoFileIds: [],
  });

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setRefusal(null);
    setBusy({});
    keySeq.current++;
    form.setFieldsValue({ items: [blank() as ItemValues] });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, form]);

  const submit = async () => {
    if (anyBusy) {
      message.warning(t('case.photosUploading'));
      return;
    }
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setRefusal(null);
    try {
      const r = await custodyApi.cases.registerItems(
        caseDetail.id,
        v.items.map((x) => ({
          type: x.type,
          name: x.name.trim(),
          description: x.description?.trim() ?? '',
          quantity: x.quantity,
          unit: x.unit.trim(),
          valueCents: toCents(x.valueCents),
          ownerKind: x.ownerKind,
          ownerName: x.ownerKind === 'unknown' ? null : x.ownerName?.trim() || null,
          ownerPhone: x.ownerKind === 'unknown' ? null : x.ownerPhone?.trim() || null,
          seizureDoc: x.seizureDoc.trim(),
          seizedAt: shanghaiIso(x.seizedAt)!,
          photoFileIds: x.photoFileIds ?? [],
        })),
      );
      message.success(t('case.itemsRegistered', { n: r.items.length }));
      onDone(r.items);
    } catch (e) {
      setRefusal(handleError(e, form, ITEM_FIELDS));
    } finally {
      setSaving(false);
    }
  };

  const req = (label: string) => [{ required: true, whitespace: true, message: t('f.required', { label }) }];
  return (
    <Modal
      open={open}
      title={`${t('case.registerItems')} · ${caseDetail.caseNumber}`}
      onCancel={onClose}
      onOk={submit}
      confirmLoading={saving}
      okText={t('c.submit')}
      okButtonProps={{ disabled: anyBusy, 'data-testid': 'items-submit' } as never}
      destroyOnHidden
      width={900}
      className="cz-register-modal"
      styles={{ body: { maxHeight: 'calc(100vh - 220px)', overflowY: 'auto', paddingRight: 4 } }}
    >
      {refusal && <Alert type="error" showIcon message={refusal} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" data-testid="items-form" autoComplete="off">
        <Form.List name="items">
          {(fields, { add, remove }) => (
            <>
              {fields.map((field, index) => (
                <Card
                  key={`${keySeq.current}-${field.key}`}
                  size="small"
                  className="cz-item-card"
                  title={t('case.itemN', { n: index + 1 })}
                  extra={
                    fields.length > 1 && (
                      <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => {
                          remove(field.name);
                          setBusy((prev) => {
                            const next = { ...prev };
                            delete next[field.key];
                            return next;
                          });
                        }}
                      >
                        {t('case.removeItem')}
                      </Button>
                    )
                  }
                  data-testid="item-card"
                >
                  <div className="cz-form-grid cz-form-grid-4">
                    <Form.Item name={[field.name, 'type']} label={t('c.type')} rules={[{ required: true, message: t('f.requiredPick', { label: t('c.type') }) }]}>
                      <Select
                        options={ITEM_TYPES.map((x) => ({ value: x, label: typeLabel(x) }))}
                        onChange={(v: ItemType) => {
                          const unit = form.getFieldValue(['items', field.name, 'unit']);
                          if (!unit) form.setFieldValue(['items', field.name, 'unit'], DEFAULT_UNIT[v] ?? '件');
                        }}
                        data-testid="item-type"
                      />
                    </Form.Item>
                    <Form.Item name={[field.name, 'name']} label={t('c.name')} rules={req(t('c.name'))} className="cz-span-3">
                      <Input maxLength={100} data-testid="item-name" />
                    </Form.Item>
                    <Form.Item name={[field.name, 'quantity']} label={t('c.qty')} rules={[{ required: true, message: t('f.required', { label: t('c.qty') }) }]}>
                      <InputNumber min={0.001} style={{ width: '100%' }} data-testid="item-qty" />
                    </Form.Item>
                    <Form.Item name={[field.name, 'unit']} label={t('c.unit')} rules={req(t('c.unit'))}>
                      <Input maxLength={10} data-testid="item-unit" />
                    </Form.Item>
                    <Form.Item name={[field.name, 'valueCents']} label={t('c.value')} tooltip={t('case.valueHint')}>
                      <InputNumber min={0} precision={2} style={{ width: '100%' }} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'seizedAt']} label={t('c.seizedAt')} tooltip={t('case.seizedAtHint')} rules={[{ required: true, message: t('f.requiredPick', { label: t('c.seizedAt') }) }]}>
                      <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} disabledDate={(d) => d.isAfter(dayjs().endOf('day'))} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'seizureDoc']} label={t('c.seizureDoc')} rules={req(t('c.seizureDoc'))} className="cz-span-2">
                      <Input maxLength={80} placeholder="海公（刑）扣字〔2026〕0001号" data-testid="item-doc" />
                    </Form.Item>
                    <Form.Item name={[field.name, 'ownerKind']} label={t('c.ownerKind')} className="cz-span-2">
                      <Radio.Group optionType="button" options={OWNER_KINDS.map((k) => ({ value: k, label: t(`c.ownerKind.${k}`) }))} />
                    </Form.Item>
                    <Form.Item noStyle shouldUpdate={(a, b) => a.items?.[field.name]?.ownerKind !== b.items?.[field.name]?.ownerKind}>
                      {() =>
                        form.getFieldValue(['items', field.name, 'ownerKind']) !== 'unknown' ? (
                          <>
                            <Form.Item name={[field.name, 'ownerName']} label={t('c.ownerName')} rules={req(t('c.ownerName'))} className="cz-span-2">
                              <Input maxLength={100} />
                            </Form.Item>
                            <Form.Item name={[field.name, 'ownerPhone']} label={t('c.ownerPhone')} rules={[{ pattern: /^[0-9+\- ]{5,20}$/, message: t('c.ownerPhone') }]} className="cz-span-2">
                              <Input maxLength={20} inputMode="tel" />
                            </Form.Item>
                          </>
                        ) : null
                      }
                    </Form.Item>
                    <Form.Item name={[field.name, 'description']} label={t('c.description')} className="cz-span-4">
                      <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} maxLength={1000} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'photoFileIds']} label={t('c.photos')} className="cz-span-4">
                      <PhotoUploader capture max={20} onBusyChange={(b) => setBusy((prev) => (prev[field.key] === b ? prev : { ...prev, [field.key]: b }))} testId={`item-photos-${index}`} />
                    </Form.Item>
                  </div>
                </Card>
              ))}
              <Button
                type="dashed"
                block
                icon={<PlusOutlined />}
                onClick={() => {
                  const list = form.getFieldValue('items') as ItemValues[];
                  add(blank(list[list.length - 1]));
                }}
                data-testid="items-add"
              >
                {t('case.addItem')}
              </Button>
            </>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}

export function ConcludeModal({ open, caseDetail, onClose, onDone }: { open: boolean; caseDetail: CaseDetail; onClose: () => void; onDone: (c: CaseDetail) => void }) {
  const { t } = useCustodyI18n();
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<{ conclusion: string }>();
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  useEffect(() => {
    if (open) {
      form.resetFields();
      setRefusal(null);
    }
  }, [open, form]);
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    try {
      const c = await custodyApi.cases.conclude(caseDetail.id, v.conclusion.trim());
      message.success(t('case.concluded'));
      onDone(c);
    } catch (e) {
      setRefusal(handleError(e, form, ['conclusion']));
    } finally {
      setSaving(false);
    }
  };
  return (
    <Modal open={open} title={`${t('case.conclude')} · ${caseDetail.caseNumber}`} onCancel={onClose} onOk={submit} confirmLoading={saving} okText={t('case.conclude')} okButtonProps={{ danger: true }} destroyOnHidden>
      {refusal && <Alert type="error" showIcon message={refusal} style={{ marginBottom: 12 }} />}
      <Typography.Paragraph type="secondary">{t('case.concludeHint')}</Typography.Paragraph>
      <Form form={form} layout="vertical">
        <Form.Item name="conclusion" label={t('case.conclusion')} rules={[{ required: true, whitespace: true, message: t('f.required', { label: t('case.conclusion') }) }]}>
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} maxLength={200} showCount placeholder={t('case.conclusionPh')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
