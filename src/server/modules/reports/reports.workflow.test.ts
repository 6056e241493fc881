import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/http/errors.js';
import { ACTIONS, STATUSES, STATUS_STAGE, actionsFrom, isOpen, permissionFor, planTransition, reasonRequired, type Action, type Status } from './reports.workflow.js';

function conflictOf(action: Action, from: Status): AppError | null {
  try {
    planTransition(action, from);
    return null;
  } catch (e) {
    return e as AppError;
  }
}

describe('the GB/T 30428 workflow', () => {
  it('walks the main line 受理 → 立案 → 派遣 → 处置 → 核查 → 结案', () => {
    const line: [Action, Status][] = [
      ['accept', 'accepted'],
      ['register', 'registered'],
      ['dispatch', 'dispatched'],
      ['handle', 'handled'],
      ['verify', 'verified'],
      ['close', 'closed'],
    ];
    let s: Status = 'reported';
    for (const [a, to] of line) {
      const p = planTransition(a, s);
      expect(p.to).toBe(to);
      s = p.to;
    }
    expect(isOpen(s)).toBe(false);
  });

  it('each waiting status has one running stage clock; final and suspended ones none', () => {
    expect(STATUSES.filter((s) => STATUS_STAGE[s] === null)).toEqual(['closed', 'suspended', 'voided']);
  });

  it('refuses every step that is not in the table with a 409 naming the status and what the step needs', () => {
    let refused = 0;
    for (const a of ACTIONS) {
      for (const s of STATUSES) {
        const allowed = actionsFrom(s).includes(a);
        const e = conflictOf(a, s);
        expect(e === null, `${a} from ${s}`).toBe(allowed);
        if (e) {
          refused++;
          expect(e.code).toBe('conflict');
          expect(e.status).toBe(409);
          expect(e.message).toContain(s);
          expect(e.message).toContain(a);
        }
      }
    }
    expect(refused).toBeGreaterThan(80);
  });

  it('send back goes one stage back and is done by the one who would do the refused step', () => {
    expect(planTransition('return', 'dispatched')).toMatchObject({ to: 'registered', permission: 'report.handle' });
    expect(planTransition('return', 'handled')).toMatchObject({ to: 'dispatched', permission: 'report.verify' });
    expect(planTransition('return', 'verified')).toMatchObject({ to: 'handled', permission: 'report.close' });
    expect(planTransition('return', 'accepted')).toMatchObject({ to: 'reported', permission: 'report.triage' });
    expect(reasonRequired('return')).toBe(true);
  });

  it('suspension remembers where it came from; resume goes back there', () => {
    expect(planTransition('suspend', 'handled').to).toBe('suspended');
    expect(planTransition('resume', 'suspended', { suspendedFrom: 'handled' }).to).toBe('handled');
    expect(planTransition('resume', 'suspended', { suspendedFrom: 'dispatched' }).to).toBe('dispatched');
  });

  it('void and merge only before dispatch; reopen only after close; supervision keeps the status', () => {
    expect(conflictOf('void', 'dispatched')?.code).toBe('conflict');
    expect(planTransition('void', 'registered').to).toBe('voided');
    expect(planTransition('merge', 'reported').to).toBe('voided');
    expect(planTransition('reopen', 'closed').to).toBe('dispatched');
    expect(conflictOf('reopen', 'voided')?.code).toBe('conflict');
    for (const s of ['reported', 'dispatched', 'suspended'] as Status[]) expect(planTransition('supervise', s).to).toBe(s);
    expect(conflictOf('supervise', 'closed')?.code).toBe('conflict');
  });

  it('names the permission of each possible step', () => {
    expect(permissionFor('handle', 'dispatched')).toBe('report.handle');
    expect(permissionFor('close', 'verified')).toBe('report.close');
    expect(permissionFor('handle', 'reported')).toBeNull();
  });
});
