/**
 * Two server processes polling the durable timers of one PostgreSQL database (PostgreSQL
 * only): every deadline warning and escalation fires exactly once — one 'warned' and one
 * 'escalated' event, one 督办 record and one notice per recipient for each case — and both
 * processes take part.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildZhian } from '../../src/server/main.js';
import { addUser, createTenant, login, testConfig } from '../helpers.js';
import { cleanup, freshDatabase, PG_URL, startServer, stopProc, withClient } from './support.js';

const CASES = 40;

afterAll(cleanup, 60_000);

describe.skipIf(!PG_URL)('timers with two processes on one PostgreSQL', () => {
  it(
    'each warning and escalation fires exactly once',
    async () => {
      const url = await freshDatabase();
      // Cases with deadlines, made in this process (its own poller off).
      const z = await buildZhian(testConfig({ DATABASE_URL: url }), { logger: false, seed: false, timers: false });
      const t = await createTenant(z);
      const cmd = await addUser(z, t, 'cmd', ['command_center']);
      const staff = await addUser(z, t, 'staff', ['dept_staff'], t.departmentId);
      const command = await login(z, cmd.username);
      const ids: string[] = [];
      for (let i = 0; i < CASES; i++) {
        const res = await command.post('/api/v1/reports', { description: `井盖缺失 ${i}`, categoryCode: '0201', lng: t.point[0], lat: t.point[1], channel: 'hotline' });
        expect(res.statusCode, res.body).toBe(201);
        ids.push(res.json().id);
      }
      await z.close();

      await withClient(url, async (c) => {
        // Every case's warning and escalation is due now.
        const r = await c.query(`update timers set due_at = now() - interval '1 minute' where kind like 'report.%' and fired_at is null`);
        expect(r.rowCount).toBe(2 * CASES);
      });
      const vars = { DATABASE_URL: url, ZHIAN_DEMO: 'false', TIMER_INTERVAL_MS: '50', LOG_LEVEL: 'debug' };
      const servers = await Promise.all([startServer(vars), startServer(vars)]);
      try {
        const deadline = Date.now() + 60_000;
        let pending = -1;
        while (Date.now() < deadline) {
          pending = await withClient(url, async (c) => Number((await c.query(`select count(*) as n from timers where kind like 'report.%' and fired_at is null`)).rows[0].n));
          if (pending === 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(pending).toBe(0);
      } finally {
        await Promise.all(servers.map((s) => stopProc(s)));
      }
      // Who fired what, from each process's log: together every timer once, and both worked.
      const firedBy = servers.map((s) => s.stdout.filter((l) => l.includes('"msg":"timer fired"') && l.includes('"kind":"report.')).length);
      console.log(`[timers-race] ${2 * CASES} timers fired by the two processes: ${firedBy.join(' + ')}`);
      expect(firedBy[0] + firedBy[1]).toBe(2 * CASES);
      expect(Math.min(...firedBy)).toBeGreaterThan(0);

      await withClient(url, async (c) => {
        const events = await c.query<{ report_id: string; action: string; n: string }>(
          `select report_id, action, count(*) as n from report_events where action in ('warned', 'escalated') group by report_id, action`,
        );
        const byCase = new Map<string, Record<string, number>>();
        for (const e of events.rows) byCase.set(e.report_id, { ...(byCase.get(e.report_id) ?? {}), [e.action]: Number(e.n) });
        expect(ids.map((id) => byCase.get(id))).toEqual(ids.map(() => ({ warned: 1, escalated: 1 })));
        const sup = await c.query<{ n: string }>(`select count(*) as n from report_supervisions where kind = 'overdue'`);
        expect(Number(sup.rows[0].n)).toBe(CASES);
        // The department's staff got one escalation notice per case.
        const notes = await c.query<{ n: string; d: string }>(
          `select count(*) as n, count(distinct subject_id) as d from notifications where user_id = $1 and kind = 'report.escalated'`,
          [staff.id],
        );
        expect({ n: Number(notes.rows[0].n), d: Number(notes.rows[0].d) }).toEqual({ n: CASES, d: CASES });
        const attempts = await c.query<{ n: string }>(`select count(*) as n from timers where kind like 'report.%' and attempts > 0`);
        expect(Number(attempts.rows[0].n)).toBe(0);
      });
    },
    240_000,
  );
});
