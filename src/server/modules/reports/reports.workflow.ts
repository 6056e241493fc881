import { conflict } from '../../platform/http/errors.js';
import type { Stage } from './reports.categories.js';

/**
 * The closed loop of GB/T 30428: each status waits for one stage's step. 受理 accept →
 * 立案 register → 派遣 dispatch → 处置 handle → 核查 verify → 结案 close; with 回退 (return),
 * 挂账 (suspend/resume), 作废 (void), merge, reopen, 督办 (supervise) and 延时 (extensions).
 */
export const STATUSES = ['reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'closed', 'suspended', 'voided'] as const;
export type Status = (typeof STATUSES)[number];

export const STATUS_LABELS: Record<Status, string> = {
  reported: '待受理',
  accepted: '待立案',
  registered: '待派遣',
  dispatched: '处置中',
  handled: '待核查',
  verified: '待结案',
  closed: '已结案',
  suspended: '挂账',
  voided: '已作废',
};

/** The stage a status waits in; final and suspended statuses have none (no clock runs). */
export const STATUS_STAGE: Record<Status, Stage | null> = {
  reported: 'accept',
  accepted: 'register',
  registered: 'dispatch',
  dispatched: 'handle',
  handled: 'verify',
  verified: 'close',
  closed: null,
  suspended: null,
  voided: null,
};

export const OPEN_STATUSES: readonly Status[] = ['reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'suspended'];

export const ACTIONS = ['accept', 'register', 'dispatch', 'handle', 'verify', 'close', 'return', 'suspend', 'resume', 'void', 'merge', 'reopen', 'supervise', 'reassign'] as const;
export type Action = (typeof ACTIONS)[number];

export const ACTION_LABELS: Record<Action, string> = {
  accept: '受理',
  register: '立案',
  dispatch: '派遣',
  handle: '处置完成',
  verify: '核查通过',
  close: '结案',
  return: '回退',
  suspend: '挂账',
  resume: '恢复',
  void: '作废',
  merge: '合并',
  reopen: '重新办理',
  supervise: '督办',
  reassign: '改派',
};

/** The permission each step needs (the data scope is checked separately). */
export type ReportPermission =
  | 'report.triage'
  | 'report.dispatch'
  | 'report.handle'
  | 'report.verify'
  | 'report.close'
  | 'report.supervise';

interface Rule {
  from: readonly Status[];
  /** Target status; 'same' keeps the status; a function decides from the current one. */
  to: Status | 'same' | ((from: Status, suspendedFrom: Status | null) => Status);
  permission: ReportPermission | ((from: Status) => ReportPermission);
  /** Why the step is refused in other statuses, for the 409 message. */
  needs: string;
  reasonRequired?: boolean;
}

const RETURN_TO: Partial<Record<Status, Status>> = {
  accepted: 'reported',
  registered: 'accepted',
  dispatched: 'registered',
  handled: 'dispatched',
  verified: 'handled',
};

const RULES: Record<Action, Rule> = {
  accept: { from: ['reported'], to: 'accepted', permission: 'report.triage', needs: 'only a new report (待受理) can be accepted' },
  register: { from: ['accepted'], to: 'registered', permission: 'report.triage', needs: 'only an accepted report (待立案) can be registered as a case' },
  dispatch: { from: ['registered'], to: 'dispatched', permission: 'report.dispatch', needs: 'only a registered case (待派遣) can be dispatched' },
  handle: { from: ['dispatched'], to: 'handled', permission: 'report.handle', needs: 'only a dispatched case (处置中) can be reported handled' },
  verify: { from: ['handled'], to: 'verified', permission: 'report.verify', needs: 'only a handled case (待核查) can be verified' },
  close: { from: ['verified'], to: 'closed', permission: 'report.close', needs: 'only a verified case (待结案) can be closed' },
  return: {
    from: ['accepted', 'registered', 'dispatched', 'handled', 'verified'],
    to: (from) => RETURN_TO[from]!,
    // The one who would do the refused step sends it back: a department returns a dispatch
    // that is not its own, the verifier returns unsatisfactory work, and so on.
    permission: (from) => (({ accepted: 'report.triage', registered: 'report.triage', dispatched: 'report.handle', handled: 'report.verify', verified: 'report.close' }) as const)[from as 'accepted'],
    needs: 'a new, closed, suspended or voided case cannot be sent back',
    reasonRequired: true,
  },
  suspend: {
    from: ['accepted', 'registered', 'dispatched', 'handled', 'verified'],
    to: 'suspended',
    permission: 'report.supervise',
    needs: 'only a case in progress can be suspended (挂账)',
    reasonRequired: true,
  },
  resume: { from: ['suspended'], to: (_f, back) => back ?? 'registered', permission: 'report.supervise', needs: 'only a suspended case can be resumed' },
  void: { from: ['reported', 'accepted', 'registered'], to: 'voided', permission: 'report.triage', needs: 'only a case not yet dispatched can be voided', reasonRequired: true },
  merge: { from: ['reported', 'accepted', 'registered'], to: 'voided', permission: 'report.triage', needs: 'only a case not yet dispatched can be merged into another' },
  reopen: { from: ['closed'], to: 'dispatched', permission: 'report.supervise', needs: 'only a closed case can be reopened', reasonRequired: true },
  supervise: { from: ['reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'suspended'], to: 'same', permission: 'report.supervise', needs: 'a closed or voided case cannot be supervised' },
  reassign: { from: ['dispatched'], to: 'same', permission: 'report.dispatch', needs: 'only a dispatched case can be reassigned' },
};

export interface PlannedTransition {
  action: Action;
  from: Status;
  to: Status;
  permission: ReportPermission;
}

/**
 * Checks a step against the workflow. An illegal step is a 409 whose message says what the
 * case's status is and what the step needs; a missing reason is a 400 naming the field.
 */
export function planTransition(action: Action, from: Status, opts: { suspendedFrom?: Status | null; reason?: string | null } = {}): PlannedTransition {
  const rule = RULES[action];
  if (!rule.from.includes(from)) {
    throw conflict(`cannot ${action} (${ACTION_LABELS[action]}) a case in status ${from} (${STATUS_LABELS[from]}): ${rule.needs}`, { status: from, action });
  }
  const to = rule.to === 'same' ? from : typeof rule.to === 'function' ? rule.to(from, opts.suspendedFrom ?? null) : rule.to;
  const permission = typeof rule.permission === 'function' ? rule.permission(from) : rule.permission;
  return { action, from, to, permission };
}

export function reasonRequired(action: Action): boolean {
  return !!RULES[action].reasonRequired;
}

/** The actions possible from a status (for the console's buttons), without permissions. */
export function actionsFrom(status: Status): Action[] {
  return ACTIONS.filter((a) => RULES[a].from.includes(status));
}

export function permissionFor(action: Action, from: Status): ReportPermission | null {
  const rule = RULES[action];
  if (!rule.from.includes(from)) return null;
  return typeof rule.permission === 'function' ? rule.permission(from) : rule.permission;
}

export function isOpen(status: Status): boolean {
  return OPEN_STATUSES.includes(status);
}
