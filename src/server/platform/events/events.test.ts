import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { addUser, createTenant, login, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';

let z: Zhian;
let t: Tenant;
let base: string;

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  await z.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = z.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
afterAll(async () => z?.close());

/** Opens the SSE stream with a session and collects the events until told to stop. */
function openStream(c: Client) {
  const events: { event: string; data: Record<string, unknown> }[] = [];
  let resolveOpen: () => void;
  const opened = new Promise<void>((r) => (resolveOpen = r));
  const waiters: { pred: (e: { event: string; data: Record<string, unknown> }) => boolean; resolve: () => void }[] = [];
  const req = http.get(`${base}/api/v1/events/stream`, { headers: { cookie: c.cookie } }, (res) => {
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    res.setEncoding('utf8');
    let buf = '';
    res.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.includes(': connected')) resolveOpen();
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) {
          const e = { event, data: JSON.parse(data) };
          events.push(e);
          for (const w of waiters.splice(0)) (w.pred(e) ? w.resolve : () => waiters.push(w))();
        }
      }
    });
  });
  return {
    events,
    opened,
    waitFor(pred: (e: { event: string; data: Record<string, unknown> }) => boolean) {
      if (events.some(pred)) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ pred, resolve }));
    },
    close: () => req.destroy(),
  };
}

describe('live events (Server-Sent Events) and the inbox', () => {
  it('streams a new case to the district and its notice to the department, not to another district', async () => {
    const cmd = await addUser(z, t, 'cmd', ['command_center']);
    const staff = await addUser(z, t, 'staff', ['dept_staff'], t.departmentId);
    const command = await login(z, cmd.username);
    const dept = await login(z, staff.username);
    const other = await createTenant(z);
    const outsider = await login(z, other.admin);

    const sCommand = openStream(command);
    const sDept = openStream(dept);
    const sOut = openStream(outsider);
    await Promise.all([sCommand.opened, sDept.opened, sOut.opened]);

    const res = await command.post('/api/v1/reports', { description: '路灯不亮了', categoryCode: '0202', lng: t.point[0], lat: t.point[1], channel: 'hotline' });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().id;
    await sCommand.waitFor((e) => e.event === 'report.created' && e.data.subjectId === id);
    await sDept.waitFor((e) => e.event === 'notification' && e.data.subjectId === id);
    // Everything the outsider may see of the same moment has arrived once the district's own
    // events did; a second case in the outsider's district proves the stream is live.
    const own = await outsider.post('/api/v1/reports', { description: '路灯坏了', categoryCode: '0202', lng: other.point[0], lat: other.point[1], channel: 'hotline' });
    await sOut.waitFor((e) => e.event === 'report.created' && e.data.subjectId === own.json().id);
    expect(sOut.events.some((e) => e.data.subjectId === id)).toBe(false);
    // Other users' ids never leave the server.
    expect(JSON.stringify(sDept.events)).not.toContain('userIds');

    const inbox = (await dept.get('/api/v1/notifications?unread=true')).json();
    const notice = inbox.items.find((n: { subjectId: string }) => n.subjectId === id);
    expect(notice.link).toBe(`/reports/${id}`);
    expect(inbox.unread).toBeGreaterThanOrEqual(1);
    expect((await dept.post(`/api/v1/notifications/${notice.id}/read`)).statusCode).toBe(200);
    // Someone else's notice is not found.
    expect((await command.post(`/api/v1/notifications/${notice.id}/read`)).statusCode).toBe(404);
    const after = (await dept.get('/api/v1/notifications?unread=true')).json();
    expect(after.items.some((n: { id: string }) => n.id === notice.id)).toBe(false);
    expect((await dept.post('/api/v1/notifications/read-all')).json().updated).toBeGreaterThanOrEqual(0);
    expect((await dept.get('/api/v1/notifications')).json().unread).toBe(0);

    for (const s of [sCommand, sDept, sOut]) s.close();
  });

  it('needs a session', async () => {
    const res = await z.app.inject({ method: 'GET', url: '/api/v1/events/stream' });
    expect(res.statusCode).toBe(401);
  });
});
