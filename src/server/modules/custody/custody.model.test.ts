import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkChain, checkpointDigest, checkpointMessage, eventHash, GENESIS, signCheckpoint, signingKeyFrom, verifyCheckpointSignature } from './custody.chain.js';
import { ACTION_TYPES, applyEvent, foldEvents, refusal, type CustodyEvent, type Decision, type ItemState } from './custody.model.js';

const ORG = { police: 'org-police', proc: 'org-proc', court: 'org-court', finance: 'org-finance' };
const PEOPLE = ['officer', 'clerk', 'clerk2', 'leader', 'leader2', 'proc'];

function registered(type: 'cash' | 'electronic' = 'electronic'): ItemState {
  return applyEvent(null, ev(1, 'register', 'officer', { type, name: '手机', description: '', quantity: 1, unit: '部', valueCents: null, seizedBy: 'officer', holderOrgId: ORG.police }));
}

function ev(seq: number, type: CustodyEvent['type'], actor: string, data: Record<string, unknown> = {}): CustodyEvent {
  return { itemId: 'item-1', seq, type, at: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString(), recordedAt: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString(), actorId: actor, actorName: actor, actorOrgId: ORG.police, witnessId: null, witnessName: null, correctsSeq: null, data };
}

const facts = (actor: string, o: Partial<Decision> = {}): Decision => ({ actorId: actor, actsForHolder: true, actsForRecipient: false, actsForFinance: false, witnessId: null, disposalApprovals: 2, now: new Date(), ...o });

describe('preconditions and separation of duties', () => {
  it('cash is checked in by two different people', () => {
    const s = registered('cash');
    expect(refusal(s, 'check_in', { locationId: 'bin' }, facts('clerk'))).toMatch(/witness is required/);
    expect(refusal(s, 'check_in', { locationId: 'bin' }, facts('clerk', { witnessId: 'clerk' }))).toMatch(/another person/);
    expect(refusal(s, 'check_in', { locationId: 'bin' }, facts('clerk', { witnessId: 'clerk2' }))).toBeNull();
  });

  it('a disposal needs the approvals of people who neither seized nor requested, and a third person to carry it out', () => {
    let s = applyEvent(registered(), ev(2, 'check_in', 'clerk', { locationId: 'bin' }));
    s = applyEvent(s, ev(3, 'disposal_request', 'officer2', { way: 'destroy', documentRef: 'D' }));
    expect(refusal(s, 'disposal_approve', {}, facts('officer'))).toMatch(/seized the item/);
    expect(refusal(s, 'disposal_approve', {}, facts('officer2'))).toMatch(/requester/);
    expect(refusal(s, 'dispose', {}, facts('clerk'))).toMatch(/needs 2 approvals, it has 0/);
    s = applyEvent(s, ev(4, 'disposal_approve', 'leader'));
    expect(refusal(s, 'disposal_approve', {}, facts('leader'))).toMatch(/already approved/);
    s = applyEvent(s, ev(5, 'disposal_approve', 'leader2'));
    expect(refusal(s, 'disposal_approve', {}, facts('leader3'))).toMatch(/fully approved/);
    expect(refusal(s, 'dispose', {}, facts('leader'))).toMatch(/separation of duties/);
    expect(refusal(s, 'dispose', {}, facts('clerk'))).toBeNull();
  });

  it('transfers: only the holder offers, only the recipient accepts, nothing while on loan', () => {
    let s = applyEvent(registered(), ev(2, 'check_in', 'clerk', { locationId: 'bin' }));
    expect(refusal(s, 'transfer_offer', { toOrgId: ORG.proc }, facts('proc', { actsForHolder: false }))).toMatch(/not held by your agency/);
    s = applyEvent(s, ev(3, 'transfer_offer', 'officer', { toOrgId: ORG.proc }));
    expect(refusal(s, 'transfer_accept', {}, facts('judge'))).toMatch(/not addressed to your agency/);
    expect(refusal(s, 'transfer_accept', {}, facts('proc', { actsForRecipient: true }))).toBeNull();
    s = applyEvent(s, ev(4, 'transfer_accept', 'proc'));
    expect(s.holderOrgId).toBe(ORG.proc);
    expect(s.heldBy).toEqual([ORG.police, ORG.proc]);
    s = applyEvent(s, ev(5, 'borrow_request', 'proc', { purpose: 'x', dueAt: '2026-02-01T00:00:00.000Z' }));
    s = applyEvent(s, ev(6, 'borrow_approve', 'leader'));
    s = applyEvent(s, ev(7, 'check_out', 'clerk', { dueAt: '2026-02-01T00:00:00.000Z', borrowerId: 'proc' }));
    expect(refusal(s, 'transfer_offer', { toOrgId: ORG.court }, facts('proc'))).toMatch(/on loan/);
    expect(refusal(s, 'disposal_request', { way: 'destroy' }, facts('proc'))).toMatch(/on loan/);
  });

  it('a correction points at an existing event and changes only descriptive fields', () => {
    let s = registered();
    expect(refusal(s, 'correct', { correctsSeq: 5 }, facts('officer'))).toMatch(/does not exist/);
    s = applyEvent(s, { ...ev(2, 'correct', 'officer', { changes: { name: '白色手机', quantity: 2 } }), correctsSeq: 1 });
    expect(s.fields).toMatchObject({ name: '白色手机', quantity: 2, unit: '部' });
    expect(s.status).toBe('registered');
  });
});

/** Random histories of allowed steps: whatever happens, the axes stay consistent. */
describe('the fold over random allowed histories', () => {
  it('keeps status, loan, location and pending consistent, and folding equals stepping', () => {
    const step = fc.record({ type: fc.constantFrom(...ACTION_TYPES), actor: fc.constantFrom(...PEOPLE), witness: fc.boolean(), to: fc.constantFrom(ORG.proc, ORG.court), way: fc.constantFrom('auction', 'destroy', 'return', 'confiscate') });
    fc.assert(
      fc.property(fc.constantFrom<'cash' | 'electronic'>('cash', 'electronic'), fc.array(step, { maxLength: 60 }), (type, steps) => {
        let s = registered(type);
        const events: CustodyEvent[] = [ev(1, 'register', 'officer', { type, name: '手机', description: '', quantity: 1, unit: '部', valueCents: null, seizedBy: 'officer', holderOrgId: ORG.police })];
        for (const x of steps) {
          const data: Record<string, unknown> = { locationId: 'bin-1', toLocationId: s.locationId === 'bin-1' ? 'bin-2' : 'bin-1', toOrgId: x.to, way: x.way, dueAt: '2026-03-01T00:00:00.000Z', borrowerId: x.actor, correctsSeq: 1, changes: { name: '改' }, financeOrgId: ORG.finance };
          const f = facts(x.actor, { witnessId: x.witness ? 'witness' : null, actsForRecipient: s.pending?.kind === 'transfer', actsForFinance: x.actor === 'clerk2' });
          if (refusal(s, x.type, data, f) !== null) continue;
          const e = ev(events.length + 1, x.type, x.actor, data);
          events.push(e);
          s = applyEvent(s, e);
          expect(s.status === 'on_loan').toBe(s.loan !== null);
          if (s.status === 'on_loan' || s.status === 'disposed' || s.status === 'awaiting_treasury') expect(s.locationId).toBeNull();
          if (s.status === 'in_store') expect(s.locationId).not.toBeNull();
          if (s.status === 'disposed') expect(s.pending).toBeNull();
          expect(s.heldBy).toContain(s.holderOrgId);
          expect(new Set(s.heldBy).size).toBe(s.heldBy.length);
        }
        expect(foldEvents(events)).toEqual(s);
      }),
      { numRuns: 300 },
    );
  });
});

describe('hash chain and checkpoints', () => {
  const chain = () => {
    let prev = GENESIS;
    return [ev(1, 'register', 'officer', { a: 1 }), ev(2, 'check_in', 'clerk', { locationId: 'x' }), ev(3, 'seal', 'clerk', { sealNo: 'F1' })].map((e) => {
      const hash = eventHash(prev, e);
      const out = { ...e, prevHash: prev, hash };
      prev = hash;
      return out;
    });
  };

  it('detects an edit, a removal and a reorder; the hash does not depend on key order', () => {
    const c = chain();
    expect(checkChain('item-1', c)).toEqual([]);
    expect(eventHash(GENESIS, { ...c[0]!, data: { a: 1 } })).toBe(eventHash(GENESIS, { ...c[0]!, data: JSON.parse('{"a":1}') }));
    const edited = c.map((e) => (e.seq === 2 ? { ...e, data: { locationId: 'y' } } : e));
    expect(checkChain('item-1', edited)).toEqual([{ itemId: 'item-1', seq: 2, problem: 'hash does not match the event (edited)' }]);
    expect(checkChain('item-1', [c[0]!, c[2]!]).map((p) => p.problem)).toContain('events 2–2 are missing');
    expect(checkChain('item-1', [c[0]!, c[2]!, c[1]!]).length).toBeGreaterThan(0);
  });

  it('signs checkpoints with the configured Ed25519 key; another key or an altered digest fails', () => {
    const key = signingKeyFrom(Buffer.alloc(32, 1).toString('base64'));
    const same = signingKeyFrom(Buffer.alloc(32, 1).toString('hex'));
    const pem = signingKeyFrom(key.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    expect(same.keyId).toBe(key.keyId);
    expect(pem.keyId).toBe(key.keyId);
    const heads = [{ itemId: 'b', seq: 3, hash: 'h2' }, { itemId: 'a', seq: 1, hash: 'h1' }];
    const digest = checkpointDigest(GENESIS, heads);
    expect(checkpointDigest(GENESIS, [...heads].reverse())).toBe(digest);
    const msg = checkpointMessage({ no: 1, at: '2026-01-01T00:00:00.000Z', prevDigest: GENESIS, digest, headCount: 2 });
    const sig = signCheckpoint(key, msg);
    expect(verifyCheckpointSignature(key, msg, sig)).toBe(true);
    expect(verifyCheckpointSignature(signingKeyFrom(crypto.randomBytes(32).toString('base64')), msg, sig)).toBe(false);
    expect(verifyCheckpointSignature(key, checkpointMessage({ no: 1, at: '2026-01-01T00:00:00.000Z', prevDigest: GENESIS, digest: checkpointDigest(GENESIS, heads.slice(1)), headCount: 2 }), sig)).toBe(false);
    expect(() => signingKeyFrom('too-short')).toThrow(/32-byte/);
  });
});
