/**
 * One workflow step of a case in a modal: the fields the step needs (a reason for 回退 / 挂账 /
 * 作废 / 重新办理, the result and photos for 处置, department and assignee for 派遣 / 改派,
 * the target case for 合并) and the server's answer — a 409 is shown with its message.
 * `chain` runs earlier steps first (受理 → 立案 → 派遣 from the triage queue).
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Form, Input, Modal, Select, Spin, TreeSelect, Typography } from 'antd';
import { api, ApiError, type ActionInput, type ActionResult, type Org, type ReportAction, type ReportStatus } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useAuth } from '../../app/auth';
import { applyFieldErrors, useShowError } from '../../app/feedback';
import { buildOrgTree, useOrgs, type OrgTreeNode } from '../core/org-tree';
import { PhotoUploader } from './PhotoUploader';
import { OPEN_STATUSES, REASON_ACTIONS } from './report-meta';

export interface ActionTarget {
  id: string;
  number: string;
  status: ReportStatus;
}

interface Props {
  report: ActionTarget | null;
  action: ReportAction | null;
  /** Steps to run before `action`, without fields (e.g. accept, register before dispatch). */
  chain?: ReportAction[];
  /** Phone layout: camera capture for photos. */
  mobile?: boolean;
  onClose: () => void;
  onDone: (result: ActionResult, action: ReportAction) => void;
}

interface Fields {
  reason?: string;
  note?: string;
  deptOrgId?: string;
  assigneeId?: string;
  photoIds?: string[];
  targetId?: string;
}

const FIELD_NAMES = ['reason', 'note', 'deptOrgId', 'assigneeId', 'photoIds', 'targetId'];
const DISPATCH_KINDS = new Set(['department', 'agency', 'street', 'community']);

interface OrgNode {
  value: string;
  title: string;
  disabled?: boolean;
  children?: OrgNode[];
}

function orgTreeData(orgs: Org[]): OrgNode[] {
  const map = (n: OrgTreeNode): OrgNode => ({
    value: n.org.id,
    title: n.org.name,
    disabled: !DISPATCH_KINDS.has(n.org.kind),
    children: n.children.length ? n.children.map(map) : undefined,
  });
  return buildOrgTree(orgs).map(map);
}

/**
 * The server's 409 reads "cannot suspend (挂账) a case in status suspended (挂账): only …";
 * in the Chinese console say it in Chinese, keeping the original for the curious.
 */
function conflictText(message: string, lang: string): string {
  if (lang !== 'zh-CN') return message;
  const m = /^cannot \w+ \(([^)]+)\) a case in status \w+ \(([^)]+)\)/.exec(message);
  return m ? `案件当前状态为「${m[2]}」，不能${m[1]}（可能已被他人处理，页面已刷新）。${message}` : message;
}

export function ActionModal({ report, action, chain = [], mobile, onClose, onDone }: Props) {
  const { t, lang } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const showError = useShowError();
  const [form] = Form.useForm<Fields>();
  const [saving, setSaving] = useState(false);
  const [uploading, setUploading] = useState(false);
  const [conflict, setConflict] = useState<string | null>(null);
  /** Chain steps already taken: a retry after a refused last step does not repeat them. */
  const [chainDone, setChainDone] = useState(0);
  const open = !!report && !!action;

  const isDispatch = action === 'dispatch' || action === 'reassign';
  const { orgs } = useOrgs(open && isDispatch && can('org.read'));
  const orgTree = useMemo(() => orgTreeData(orgs), [orgs]);
  const deptOrgId = Form.useWatch('deptOrgId', form);

  const [users, setUsers] = useState<{ value: string; label: string }[]>([]);
  const [usersLoading, setUsersLoading] = useState(false);
  useEffect(() => {
    setUsers([]);
    if (!open) return;
    form.setFieldValue('assigneeId', undefined);
    if (!deptOrgId || !can('user.read')) return;
    let cancelled = false;
    setUsersLoading(true);
    api.users
      .list({ orgId: deptOrgId, page: 1, pageSize: 100 })
      .then((r) => !cancelled && setUsers(r.items.filter((u) => u.active).map((u) => ({ value: u.id, label: `${u.displayName}（${u.roles.map((x) => labels.role(lang, x)).join('、')}）` }))))
      .catch(() => undefined)
      .finally(() => !cancelled && setUsersLoading(false));
    return () => {
      cancelled = true;
    };
  }, [open, deptOrgId, can, form, lang]);

  // Target cases for 合并: open cases found by number or text.
  const [targets, setTargets] = useState<{ value: string; label: string }[]>([]);
  const [targetsLoading, setTargetsLoading] = useState(false);
  const searchTargets = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let seq = 0;
    return (q: string) => {
      if (timer) clearTimeout(timer);
      const mine = ++seq;
      timer = setTimeout(async () => {
        setTargetsLoading(true);
        try {
          const r = await api.reports.list({ q: q.trim() || undefined, status: OPEN_STATUSES.filter((s) => s !== 'suspended'), page: 1, pageSize: 20 });
          if (mine !== seq) return;
          setTargets(r.items.filter((x) => x.id !== report?.id).map((x) => ({ value: x.id, label: `${x.number} · ${x.categoryName ?? ''} · ${x.description.slice(0, 40)}` })));
        } catch {
          if (mine === seq) setTargets([]);
        } finally {
          if (mine === seq) setTargetsLoading(false);
        }
      }, 250);
    };
  }, [report?.id]);

  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setConflict(null);
    setChainDone(0);
    if (action === 'merge') searchTargets('');
  }, [open, action, form, searchTargets]);

  if (!report || !action) return <Modal open={false} />;

  const actionLabel = labels.reportAction(lang, action);
  const needsReason = REASON_ACTIONS.includes(action);

  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    if (uploading) {
      message.warning(t('photo.uploading'));
      return;
    }
    setSaving(true);
    setConflict(null);
    try {
      for (let i = chainDone; i < chain.length; i++) {
        await api.reports.act(report.id, chain[i], {});
        setChainDone(i + 1);
      }
      const body: ActionInput = {};
      if (v.reason?.trim()) body.reason = v.reason.trim();
      if (v.note?.trim()) body.note = v.note.trim();
      if (v.deptOrgId) body.deptOrgId = v.deptOrgId;
      if (v.assigneeId) body.assigneeId = v.assigneeId;
      if (v.photoIds?.length) body.photoIds = v.photoIds;
      if (v.targetId) body.targetId = v.targetId;
      const result = await api.reports.act(report.id, action, body);
      message.success(t('rep.actionDone', { action: actionLabel }));
      onDone(result, action);
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setConflict(conflictText(e.message, lang));
      else if (!applyFieldErrors(form, e, FIELD_NAMES)) showError(e);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Modal
      open={open}
      title={`${actionLabel} · ${report.number}`}
      onCancel={onClose}
      onOk={submit}
      okText={actionLabel}
      cancelText={t('common.cancel')}
      confirmLoading={saving}
      okButtonProps={{ danger: action === 'void', disabled: uploading, ...({ 'data-testid': 'action-submit' } as Record<string, string>) }}
      width={mobile ? undefined : 560}
    >
      <div data-testid="action-modal" data-action={action}>
        {chain.length > 0 && (
          <Typography.Paragraph type="secondary" style={{ marginBottom: 12 }}>
            {t('act.chainHint', { steps: [...chain, action].map((a) => labels.reportAction(lang, a)).join(' → ') })}
          </Typography.Paragraph>
        )}
        {conflict && <Alert type="error" showIcon message={conflict} style={{ marginBottom: 12 }} data-testid="action-conflict" />}
        <Form form={form} layout="vertical" requiredMark={false}>
          {needsReason && (
            <Form.Item name="reason" label={t('act.reason')} rules={[{ required: true, whitespace: true, message: t('act.reasonRequired') }, { max: 500 }]}>
              <Input.TextArea rows={3} maxLength={500} showCount autoFocus data-testid="action-reason" />
            </Form.Item>
          )}
          {action === 'handle' && (
            <>
              <Form.Item name="note" label={t('act.handleNote')} rules={[{ required: true, whitespace: true, message: t('act.handleNoteRequired') }, { max: 2000 }]}>
                <Input.TextArea rows={4} maxLength={2000} showCount data-testid="action-note" />
              </Form.Item>
              <Form.Item name="photoIds" label={t('act.resultPhotos')}>
                <PhotoUploader capture={mobile} onBusyChange={setUploading} testId="result-photo-input" />
              </Form.Item>
            </>
          )}
          {action === 'supervise' && (
            <Form.Item name="note" label={t('act.superviseNote')} rules={[{ required: true, whitespace: true, message: t('act.superviseRequired') }, { max: 2000 }]}>
              <Input.TextArea rows={3} maxLength={2000} showCount autoFocus data-testid="action-note" />
            </Form.Item>
          )}
          {isDispatch && (
            <>
              <Form.Item name="deptOrgId" label={t('act.dept')} rules={action === 'reassign' ? [{ required: true, message: t('common.required') }] : undefined}>
                <TreeSelect
                  allowClear
                  showSearch
                  treeNodeFilterProp="title"
                  treeData={orgTree}
                  placeholder={action === 'dispatch' ? t('act.deptAuto') : undefined}
                  popupMatchSelectWidth={360}
                  notFoundContent={orgs.length ? undefined : <Spin size="small" />}
                  data-testid="action-dept"
                />
              </Form.Item>
              <Form.Item name="assigneeId" label={t('act.assignee')}>
                <Select allowClear showSearch optionFilterProp="label" options={users} loading={usersLoading} disabled={!deptOrgId} placeholder={t('act.assigneeAuto')} data-testid="action-assignee" />
              </Form.Item>
            </>
          )}
          {action === 'merge' && (
            <Form.Item name="targetId" label={t('act.target')} rules={[{ required: true, message: t('act.targetRequired') }]}>
              <Select
                showSearch
                filterOption={false}
                onSearch={searchTargets}
                options={targets}
                loading={targetsLoading}
                placeholder={t('act.targetPlaceholder')}
                notFoundContent={targetsLoading ? <Spin size="small" /> : undefined}
                data-testid="action-target"
              />
            </Form.Item>
          )}
          {!needsReason && action !== 'handle' && action !== 'supervise' && (
            <>
              {!isDispatch && action !== 'merge' && (
                <Typography.Paragraph>{t('act.confirm', { action: actionLabel, number: report.number })}</Typography.Paragraph>
              )}
              <Form.Item name="note" label={t('act.note')} rules={[{ max: 2000 }]}>
                <Input.TextArea rows={2} maxLength={2000} data-testid="action-note" />
              </Form.Item>
            </>
          )}
        </Form>
      </div>
    </Modal>
  );
}
