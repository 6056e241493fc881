/**
 * The steps a user may take on an item now — worked out from their permissions and the item's
 * state (the server decides finally: a refusal comes back as 409 with the reason, shown in
 * the form) — and the one form that takes any step, with the fields that step needs: a
 * storage place, a due date, a receiving agency, a disposal way, the second person's
 * confirmation for cash and valuables …
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, DatePicker, Form, Input, InputNumber, Modal, Radio, Select, Space, Tooltip, Typography } from 'antd';
import {
  AuditOutlined,
  CameraOutlined,
  CheckOutlined,
  CloseOutlined,
  DeleteOutlined,
  EditOutlined,
  ExportOutlined,
  ImportOutlined,
  LockOutlined,
  RollbackOutlined,
  SendOutlined,
  SwapOutlined,
  UnlockOutlined,
  BankOutlined,
  ExperimentOutlined,
  StopOutlined,
  InboxOutlined,
  SolutionOutlined,
} from '@ant-design/icons';
import dayjs from 'dayjs';
import { useAuth } from '../../app/auth';
import { shanghaiIso, TIME_ZONE } from '../../format';
import { PhotoUploader } from '../reports/PhotoUploader';
import { custodyApi, centreOf, DISPOSAL_WAYS, type ActionBody, type ActionType, type Agency, type Item, type ItemDetail, type TimelineEntry } from './custody-api';

/** An item as the step forms need it: the item page has its history, lists do not. */
type ActingItem = Item & { timeline?: TimelineEntry[] };
import { useCustodyI18n, type CKey } from './custody-i18n';
import { toCents, useCustodyErrors } from './custody-meta';
import { LocationPicker } from './LocationPicker';

export interface AvailableAction {
  type: ActionType;
  /** The natural next step: shown as a primary button. */
  primary?: boolean;
  danger?: boolean;
  /** Why the user cannot take it although the item could (separation of duties). */
  blocked?: string;
}

const ICONS: Record<ActionType, React.ReactNode> = {
  photograph: <CameraOutlined />,
  check_in: <ImportOutlined />,
  move: <SwapOutlined />,
  seal: <LockOutlined />,
  unseal: <UnlockOutlined />,
  examine: <ExperimentOutlined />,
  mark_unrelated: <StopOutlined />,
  borrow_request: <SolutionOutlined />,
  borrow_approve: <CheckOutlined />,
  borrow_reject: <CloseOutlined />,
  check_out: <ExportOutlined />,
  return: <RollbackOutlined />,
  transfer_offer: <SendOutlined />,
  transfer_accept: <InboxOutlined />,
  transfer_reject: <CloseOutlined />,
  disposal_request: <AuditOutlined />,
  disposal_approve: <CheckOutlined />,
  disposal_reject: <CloseOutlined />,
  dispose: <DeleteOutlined />,
  treasury_receipt: <BankOutlined />,
  correct: <EditOutlined />,
};

export const actionIcon = (type: ActionType) => ICONS[type];

/**
 * The steps to offer, in the order of the item's life; mirrors the server's preconditions so
 * that the page does not offer what would certainly be refused.
 */
export function availableActions(item: ItemDetail, can: (p: Parameters<ReturnType<typeof useAuth>['can']>[0]) => boolean, userId: string | undefined, disposalApprovals: number, t: (k: CKey) => string): AvailableAction[] {
  const out: AvailableAction[] = [];
  const s = item.status;
  const disposed = s === 'disposed' || s === 'awaiting_treasury';
  const p = item.pending;
  const keep = can('custody.keep');
  const register = can('custody.register');
  const approve = can('custody.approve');
  const transfer = can('custody.transfer');

  if (s === 'registered' && keep) out.push({ type: 'check_in', primary: true });
  if (p?.kind === 'borrow' && !p.approverId && approve) {
    const blocked = p.requesterId === userId ? t('f.sodRequester') : undefined;
    out.push({ type: 'borrow_approve', primary: true, blocked }, { type: 'borrow_reject', danger: true, blocked });
  }
  if (p?.kind === 'borrow' && p.approverId && s === 'in_store' && keep) out.push({ type: 'check_out', primary: true });
  if (s === 'on_loan' && keep) out.push({ type: 'return', primary: true });
  if (p?.kind === 'transfer' && transfer) out.push({ type: 'transfer_accept', primary: true }, { type: 'transfer_reject', danger: true });
  if (p?.kind === 'disposal' && p.approverIds.length < disposalApprovals && approve) {
    const blocked = p.requesterId === userId ? t('f.sodRequester') : item.seizedBy === userId ? t('f.sodSeizer') : userId && p.approverIds.includes(userId) ? t('f.sodApproved') : undefined;
    out.push({ type: 'disposal_approve', primary: true, blocked }, { type: 'disposal_reject', danger: true, blocked });
  }
  if (p?.kind === 'disposal' && p.approverIds.length >= disposalApprovals && keep) {
    const involved = userId && (item.seizedBy === userId || p.requesterId === userId || p.approverIds.includes(userId));
    out.push({ type: 'dispose', primary: true, danger: true, blocked: involved ? t('f.sodDispose') : undefined });
  }
  if (s === 'awaiting_treasury' && can('custody.treasury')) out.push({ type: 'treasury_receipt', primary: true });
  if (s === 'in_store' && keep) out.push({ type: 'move' });
  if (!disposed && !item.sealed && keep) out.push({ type: 'seal' });
  if (item.sealed && keep) out.push({ type: 'unseal' });
  if (s === 'in_store' && !p && register) out.push({ type: 'borrow_request' });
  if (!disposed && s !== 'on_loan' && !p && transfer) out.push({ type: 'transfer_offer' });
  if (s === 'in_store' && !p && register) out.push({ type: 'disposal_request' });
  if (!disposed && !item.unrelatedAt && register) out.push({ type: 'mark_unrelated' });
  if (register || keep) out.push({ type: 'examine' }, { type: 'photograph' }, { type: 'correct' });
  return out;
}

/** Which fields each step's form names (for the server's field errors). */
const FIELDS = ['locationId', 'toLocationId', 'reason', 'note', 'sealNo', 'examiner', 'purpose', 'result', 'dueAt', 'condition', 'toOrgId', 'documentRef', 'way', 'recipient', 'receiptRef', 'proceedsCents', 'amountCents', 'witness', 'correctsSeq', 'changes', 'fileIds', 'at'];

interface Values {
  locationId?: string;
  toLocationId?: string;
  reason?: string;
  note?: string;
  sealNo?: string;
  examiner?: string;
  purpose?: string;
  result?: string;
  dueAt?: dayjs.Dayjs;
  condition?: string;
  toOrgId?: string;
  documentRef?: string;
  way?: string;
  recipient?: string;
  receiptRef?: string;
  proceedsCents?: number | null;
  amountCents?: number | null;
  witness?: { username?: string; password?: string };
  correctsSeq?: number;
  changes?: { name?: string; description?: string; quantity?: number | null; unit?: string; valueCents?: number | null };
  fileIds?: string[];
}

/** The body of a step from the form's values. */
function bodyOf(type: ActionType, v: Values, item: ActingItem): ActionBody {
  const b: ActionBody = { type };
  const trim = (s?: string) => (s ?? '').trim();
  switch (type) {
    case 'photograph':
      Object.assign(b, { fileIds: v.fileIds ?? [], note: trim(v.note) });
      break;
    case 'check_in':
      b.locationId = v.locationId;
      break;
    case 'return':
      Object.assign(b, { locationId: v.locationId, condition: trim(v.condition) });
      break;
    case 'move':
      Object.assign(b, { toLocationId: v.toLocationId, reason: trim(v.reason) });
      break;
    case 'seal':
      b.sealNo = trim(v.sealNo);
      break;
    case 'unseal':
    case 'mark_unrelated':
    case 'borrow_reject':
    case 'transfer_reject':
    case 'disposal_reject':
      b.reason = trim(v.reason);
      break;
    case 'examine':
      Object.assign(b, { examiner: trim(v.examiner), purpose: trim(v.purpose), result: trim(v.result) });
      break;
    case 'borrow_request':
      Object.assign(b, { purpose: trim(v.purpose), dueAt: shanghaiIso(v.dueAt) });
      break;
    case 'borrow_approve':
    case 'transfer_accept':
    case 'disposal_approve':
    case 'check_out':
      b.note = trim(v.note);
      break;
    case 'transfer_offer':
      Object.assign(b, { toOrgId: v.toOrgId, documentRef: trim(v.documentRef), note: trim(v.note) });
      break;
    case 'disposal_request':
      Object.assign(b, { way: v.way, documentRef: trim(v.documentRef), note: trim(v.note) });
      break;
    case 'dispose':
      Object.assign(b, { recipient: trim(v.recipient), receiptRef: trim(v.receiptRef), proceedsCents: toCents(v.proceedsCents), note: trim(v.note) });
      break;
    case 'treasury_receipt':
      Object.assign(b, { receiptRef: trim(v.receiptRef), amountCents: toCents(v.amountCents) });
      break;
    case 'correct': {
      const c = v.changes ?? {};
      const changes: Record<string, unknown> = {};
      if (c.name !== undefined && c.name.trim() !== item.name) changes.name = c.name.trim();
      if (c.description !== undefined && c.description.trim() !== item.description) changes.description = c.description.trim();
      if (c.quantity !== undefined && c.quantity !== null && c.quantity !== item.quantity) changes.quantity = c.quantity;
      if (c.unit !== undefined && c.unit.trim() !== item.unit) changes.unit = c.unit.trim();
      const cents = c.valueCents === undefined ? undefined : toCents(c.valueCents);
      if (cents !== undefined && cents !== item.valueCents) changes.valueCents = cents;
      Object.assign(b, { correctsSeq: v.correctsSeq, reason: trim(v.reason), changes });
      break;
    }
  }
  if ((type === 'check_in' || type === 'dispose') && item.twoPerson && v.witness?.username) {
    b.witness = { username: v.witness.username.trim(), password: v.witness.password ?? '' };
  }
  return b;
}

/** The form of one step in a modal; `onDone` gets the item as it is after the step. */
export function ActionModal({ item, type, onClose, onDone, onRefused, disposalApprovals }: { item: ActingItem; type: ActionType | null; onClose: () => void; onDone: (item: ItemDetail) => void; onRefused?: () => void; disposalApprovals: number }) {
  const { t, wayLabel, eventLabel } = useCustodyI18n();
  const req = (label: string) => [{ required: true, whitespace: true, message: t('f.required', { label }) }];
  const pick = (label: string) => [{ required: true, message: t('f.requiredPick', { label }) }];
  const { message } = App.useApp();
  const handleError = useCustodyErrors();
  const [form] = Form.useForm<Values>();
  const [saving, setSaving] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [photosBusy, setPhotosBusy] = useState(false);
  const [targets, setTargets] = useState<Agency[]>([]);
  const open = type !== null;
  const centreId = useMemo(() => centreOf(item), [item]);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setRefusal(null);
    if (type === 'borrow_request') form.setFieldsValue({ dueAt: dayjs().tz(TIME_ZONE).add(3, 'day').hour(17).minute(0).second(0) });
    if (type === 'disposal_request') form.setFieldsValue({ way: item.type === 'cash' ? 'confiscate' : undefined });
    if (type === 'correct') {
      const last = item.timeline?.find((e) => e.type === 'register');
      form.setFieldsValue({ correctsSeq: last?.seq ?? 1, changes: { name: item.name, description: item.description, quantity: item.quantity, unit: item.unit, valueCents: item.valueCents === null ? null : item.valueCents / 100 } });
    }
    if (type === 'transfer_offer') custodyApi.transferTargets().then(setTargets, () => undefined);
  }, [open, type, item, form]);

  if (!type) return null;
  const needWitness = (type === 'check_in' || type === 'dispose') && item.twoPerson;

  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    setSaving(true);
    setRefusal(null);
    try {
      const after = await custodyApi.items.act(item.id, bodyOf(type, v, item));
      message.success(t('a.done', { action: t(`a.${type}` as CKey) }));
      onDone(after);
    } catch (e) {
      const why = handleError(e, form, FIELDS);
      setRefusal(why);
      // Refused: the item changed under us (another person's step); show it as it is now.
      if (why) onRefused?.();
    } finally {
      setSaving(false);
    }
  };

  const pending = item.pending;
  const textArea = (name: 'reason' | 'note' | 'result' | 'condition', label: string, mandatory = false, max = 500) => (
    <Form.Item name={name} label={label} rules={mandatory ? req(label) : undefined}>
      <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} maxLength={max} showCount data-testid={`field-${name}`} />
    </Form.Item>
  );

  let fields: React.ReactNode = null;
  let hint: React.ReactNode = null;
  switch (type) {
    case 'photograph':
      fields = (
        <>
          <Form.Item name="fileIds" label={t('f.photos')} rules={[{ required: true, type: 'array', min: 1, message: t('f.requiredPick', { label: t('f.photos') }) }]}>
            <PhotoUploader capture max={20} onBusyChange={setPhotosBusy} testId="action-photos" />
          </Form.Item>
          {textArea('note', t('f.note'))}
        </>
      );
      break;
    case 'check_in':
    case 'return':
      fields = (
        <>
          <Form.Item name="locationId" label={t('f.location')} rules={[{ required: true, message: t('f.locationPh') }]}>
            <LocationPicker centreId={centreId} />
          </Form.Item>
          {type === 'return' && textArea('condition', t('f.condition'), false, 200)}
        </>
      );
      break;
    case 'move':
      fields = (
        <>
          <Form.Item name="toLocationId" label={t('f.toLocation')} rules={[{ required: true, message: t('f.locationPh') }]} extra={item.location ? `${t('d.fromLocationId')}：${item.location.path}` : undefined}>
            <LocationPicker centreId={centreId} exclude={item.location?.id} />
          </Form.Item>
          {textArea('reason', t('f.reason'), false, 200)}
        </>
      );
      break;
    case 'seal':
      fields = (
        <Form.Item name="sealNo" label={t('f.sealNo')} rules={req(t('f.sealNo'))}>
          <Input maxLength={40} className="cz-mono-input" data-testid="field-sealNo" />
        </Form.Item>
      );
      break;
    case 'unseal':
    case 'mark_unrelated':
    case 'borrow_reject':
    case 'transfer_reject':
    case 'disposal_reject':
      fields = textArea('reason', t('f.reason'), true);
      if (type.endsWith('_reject')) hint = t('f.rejectHint');
      break;
    case 'examine':
      fields = (
        <>
          <Form.Item name="examiner" label={t('f.examiner')} rules={req(t('f.examiner'))}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="purpose" label={t('f.purposeExam')} rules={req(t('f.purposeExam'))}>
            <Input maxLength={200} />
          </Form.Item>
          {textArea('result', t('f.result'), false, 1000)}
        </>
      );
      break;
    case 'borrow_request':
      hint = t('f.borrowHint');
      fields = (
        <>
          <Form.Item name="purpose" label={t('f.purpose')} rules={req(t('f.purpose'))}>
            <Input maxLength={200} data-testid="field-purpose" />
          </Form.Item>
          <Form.Item name="dueAt" label={t('f.dueAt')} rules={pick(t('f.dueAt'))}>
            <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} disabledDate={(d) => d.isBefore(dayjs().startOf('day')) || d.isAfter(dayjs().add(90, 'day'))} />
          </Form.Item>
        </>
      );
      break;
    case 'borrow_approve':
    case 'transfer_accept':
    case 'disposal_approve':
    case 'check_out':
      if (type === 'borrow_approve' || type === 'check_out') {
        if (pending?.kind === 'borrow') hint = `${t('item.purpose')}：${pending.purpose} · ${t('d.dueAt')}：${dayjs(pending.dueAt).tz(TIME_ZONE).format('YYYY-MM-DD HH:mm')}`;
      }
      if (type === 'transfer_accept' && pending?.kind === 'transfer') hint = `${t('f.documentRefTransfer')}：${pending.documentRef}`;
      if (type === 'disposal_approve' && pending?.kind === 'disposal') hint = `${wayLabel(pending.way)} · ${pending.documentRef} · ${t('c.approvalsN', { n: pending.approverIds.length, m: disposalApprovals })}`;
      fields = textArea('note', t('f.note'));
      break;
    case 'transfer_offer':
      fields = (
        <>
          <Form.Item name="toOrgId" label={t('f.toOrg')} rules={pick(t('f.toOrg'))}>
            <Select options={targets.filter((o) => o.id !== item.holder.id).map((o) => ({ value: o.id, label: o.name }))} loading={!targets.length} showSearch optionFilterProp="label" data-testid="field-toOrgId" />
          </Form.Item>
          <Form.Item name="documentRef" label={t('f.documentRefTransfer')} rules={req(t('f.documentRefTransfer'))}>
            <Input maxLength={80} data-testid="field-documentRef" />
          </Form.Item>
          {textArea('note', t('f.note'))}
        </>
      );
      break;
    case 'disposal_request':
      hint = t('f.disposalHint', { n: disposalApprovals });
      fields = (
        <>
          <Form.Item name="way" label={t('f.way')} rules={pick(t('f.way'))}>
            <Radio.Group optionType="button" buttonStyle="solid" options={DISPOSAL_WAYS.map((w) => ({ value: w, label: wayLabel(w) }))} data-testid="field-way" />
          </Form.Item>
          <Form.Item name="documentRef" label={t('f.documentRefDisposal')} rules={req(t('f.documentRefDisposal'))} extra={t('f.documentRefDisposalHint')}>
            <Input maxLength={80} data-testid="field-documentRef" />
          </Form.Item>
          {textArea('note', t('f.note'))}
        </>
      );
      break;
    case 'dispose':
      if (pending?.kind === 'disposal') hint = `${t('f.way')}：${wayLabel(pending.way)} · ${pending.documentRef}`;
      fields = (
        <>
          <Form.Item name="recipient" label={t('f.recipient')}>
            <Input maxLength={100} />
          </Form.Item>
          <Form.Item name="receiptRef" label={t('f.receiptRef')}>
            <Input maxLength={80} />
          </Form.Item>
          {pending?.kind === 'disposal' && pending.way === 'auction' && (
            <Form.Item name="proceedsCents" label={t('f.proceeds')}>
              <InputNumber min={0} precision={2} style={{ width: '100%' }} />
            </Form.Item>
          )}
          {textArea('note', t('f.note'))}
        </>
      );
      break;
    case 'treasury_receipt':
      fields = (
        <>
          <Form.Item name="receiptRef" label={t('f.receiptRef')} rules={req(t('f.receiptRef'))}>
            <Input maxLength={80} />
          </Form.Item>
          <Form.Item name="amountCents" label={t('f.amount')}>
            <InputNumber min={0} precision={2} style={{ width: '100%' }} />
          </Form.Item>
        </>
      );
      break;
    case 'correct':
      fields = (
        <>
          <Form.Item name="correctsSeq" label={t('f.correctsSeq')} rules={[{ required: true }]}>
            <Select options={[...(item.timeline ?? [])].reverse().map((e) => ({ value: e.seq, label: `#${e.seq} ${eventLabel(e.type, e.label)} · ${dayjs(e.at).tz(TIME_ZONE).format('YYYY-MM-DD HH:mm')}` }))} />
          </Form.Item>
          {textArea('reason', t('f.reason'), true)}
          <Typography.Text type="secondary" className="cz-form-sub">
            {t('f.changes')}
          </Typography.Text>
          <div className="cz-form-grid">
            <Form.Item name={['changes', 'name']} label={t('c.name')}>
              <Input maxLength={100} />
            </Form.Item>
            <Form.Item name={['changes', 'unit']} label={t('c.unit')}>
              <Input maxLength={10} />
            </Form.Item>
            <Form.Item name={['changes', 'quantity']} label={t('c.qty')}>
              <InputNumber min={0} style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name={['changes', 'valueCents']} label={t('c.value')}>
              <InputNumber min={0} precision={2} style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name={['changes', 'description']} label={t('c.description')} className="cz-span-2">
              <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} maxLength={1000} />
            </Form.Item>
          </div>
        </>
      );
      break;
  }

  return (
    <Modal
      open={open}
      title={
        <Space>
          {ICONS[type]}
          <span>{t(`a.${type}` as CKey)}</span>
          <Typography.Text type="secondary" className="cz-modal-code">
            {item.code}
          </Typography.Text>
        </Space>
      }
      onCancel={onClose}
      onOk={submit}
      okText={t('c.submit')}
      okButtonProps={{ danger: type === 'dispose' || type.endsWith('_reject') || type === 'mark_unrelated', disabled: photosBusy, 'data-testid': 'action-submit' } as never}
      confirmLoading={saving}
      destroyOnHidden
      width={560}
      data-testid="action-modal"
    >
      {refusal && <Alert type="error" showIcon message={t('c.refusedTitle')} description={<span data-testid="action-refusal">{refusal}</span>} style={{ marginBottom: 12 }} />}
      {hint && <Alert type="info" message={hint} style={{ marginBottom: 12 }} />}
      <Form form={form} layout="vertical" data-testid={`action-form-${type}`} autoComplete="off">
        {fields}
        {needWitness && (
          <div className="cz-witness" data-testid="witness">
            <div className="cz-witness-title">
              <LockOutlined /> {t('f.witness')}
            </div>
            <Typography.Text type="secondary" className="cz-witness-hint">
              {t('f.witnessHint')}
            </Typography.Text>
            <div className="cz-form-grid">
              <Form.Item name={['witness', 'username']} label={t('f.witnessUser')} rules={req(t('f.witnessUser'))}>
                <Input autoComplete="off" data-testid="witness-username" />
              </Form.Item>
              <Form.Item name={['witness', 'password']} label={t('f.witnessPassword')} rules={[{ required: true, message: t('f.required', { label: t('f.witnessPassword') }) }]}>
                <Input.Password autoComplete="new-password" data-testid="witness-password" />
              </Form.Item>
            </div>
          </div>
        )}
      </Form>
    </Modal>
  );
}

/** The buttons of the steps available now; each opens the step's form. */
export function ActionButtons({ actions, onPick, block }: { actions: AvailableAction[]; onPick: (type: ActionType) => void; block?: boolean }) {
  const { t } = useCustodyI18n();
  return (
    <div className={block ? 'cz-actions cz-actions-block' : 'cz-actions'} data-testid="item-actions">
      {actions.map((a) => {
        const btn = (
          <Button
            key={a.type}
            type={a.primary ? 'primary' : 'default'}
            danger={a.danger}
            icon={ICONS[a.type]}
            disabled={!!a.blocked}
            onClick={() => onPick(a.type)}
            size={block ? 'large' : 'middle'}
            data-testid={`action-${a.type}`}
          >
            {t(`a.${a.type}` as CKey)}
          </Button>
        );
        return a.blocked ? (
          <Tooltip key={a.type} title={a.blocked}>
            <span>{btn}</span>
          </Tooltip>
        ) : (
          btn
        );
      })}
    </div>
  );
}
