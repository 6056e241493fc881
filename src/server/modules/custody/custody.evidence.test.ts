/**
 * Digital evidence over tus against the real server on a port: an upload interrupted and
 * resumed, re-hashed and recorded on the item's chain; a wrong hash refused and recorded;
 * audited downloads with ranges; sharing until a time; remote display links.
 */
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Zhian } from '../../main.js';
import { storePhoto } from '../../platform/files/files.js';
import { testZhian, type Client } from '../../../../test/helpers.js';
import { caseWithItems, custodyWorld, type CustodyWorld } from '../../../../test/custody-fixture.js';

const MB = 1024 * 1024;
let z: Zhian;
let w: CustodyWorld;
let base: string;
let item: { id: string; code: string };

beforeAll(async () => {
  z = await testZhian();
  await z.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(z.app.server.address() as AddressInfo).port}`;
  w = await custodyWorld(z);
  item = (await caseWithItems(z, w)).items[1]!;
}, 120_000);
afterAll(async () => {
  await z?.close();
});

const sha = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
const decode = (v: string | null | undefined) => (v ? JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) : undefined);
const headersOf = (c: Client) => ({ cookie: c.cookie, 'x-csrf-token': c.csrf });

interface Outcome {
  result?: { evidenceId: string; seq: number; sha256: string };
  refusal?: unknown;
  status?: number;
  error?: Error;
}

function upload(c: Client, file: Buffer, metadata: Record<string, string>, opts: Partial<tus.UploadOptions> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const out: Outcome = {};
    const u = new tus.Upload(file, {
      endpoint: `${base}/api/v1/custody/uploads`,
      headers: headersOf(c),
      chunkSize: MB,
      retryDelays: null,
      metadata,
      ...opts,
      onAfterResponse(_req, res) {
        if (res.getHeader('Upload-Sha256')) {
          out.result = decode(res.getHeader('X-Upload-Result'));
          out.refusal = decode(res.getHeader('X-Upload-Error'));
        }
      },
      onSuccess: () => resolve(out),
      onError(err) {
        out.error = err;
        out.status = (err as tus.DetailedError).originalResponse?.getStatus();
        resolve(out);
      },
    });
    u.start();
  });
}

describe('digital evidence (证据通)', () => {
  it('an upload interrupted and resumed is re-hashed, recorded on the chain, downloaded with an audit row', async () => {
    const clerk = await w.as('clerk');
    const file = crypto.randomBytes(6 * MB + 123);
    const metadata = { itemId: item.id, filename: '监控录像-0312.mp4', filetype: 'video/mp4', sha256: sha(file) };
    // First attempt: stopped after ~2 MB.
    const url = await new Promise<string>((resolve, reject) => {
      const u = new tus.Upload(file, {
        endpoint: `${base}/api/v1/custody/uploads`,
        headers: headersOf(clerk),
        chunkSize: MB,
        retryDelays: null,
        metadata,
        onProgress(sent) {
          if (sent >= 2 * MB && u.url) {
            const at = u.url;
            void u.abort().then(() => resolve(at), reject);
          }
        },
        onSuccess: () => reject(new Error('should have been interrupted')),
        onError: reject,
      });
      u.start();
    });
    const head = await fetch(url, { method: 'HEAD', headers: { ...headersOf(clerk), 'tus-resumable': '1.0.0' } });
    const offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(file.length);
    // Resumed from the server's offset by a new client that knows only the URL.
    const out = await upload(clerk, file, metadata, { uploadUrl: url });
    expect(out.error).toBeUndefined();
    expect(out.result).toMatchObject({ sha256: sha(file), size: file.length });
    const ev = (await clerk.get(`/api/v1/custody/items/${item.id}`)).json();
    expect(ev.timeline.at(-1)).toMatchObject({ type: 'evidence_added', seq: out.result!.seq, data: { sha256: sha(file), filename: '监控录像-0312.mp4' } });
    expect(ev.evidenceCount).toBe(1);
    expect(ev.chain.intact).toBe(true);
    const list = (await clerk.get(`/api/v1/custody/items/${item.id}/evidence`)).json();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ filename: '监控录像-0312.mp4', size: file.length, sha256: sha(file) });

    // Download: the bytes, audited; a range answers 206.
    const before = await z.handle.db.selectFrom('audit_log').select('id').where('action', '=', 'custody_evidence.downloaded').where('target_id', '=', list[0].id).execute();
    const dl = await fetch(`${base}/api/v1/custody/evidence/${list[0].id}/download`, { headers: { cookie: clerk.cookie } });
    expect(dl.status).toBe(200);
    expect(sha(new Uint8Array(await dl.arrayBuffer()))).toBe(sha(file));
    const after = await z.handle.db.selectFrom('audit_log').select('id').where('action', '=', 'custody_evidence.downloaded').where('target_id', '=', list[0].id).execute();
    expect(after.length).toBe(before.length + 1);
    const part = await fetch(`${base}/api/v1/custody/evidence/${list[0].id}/download`, { headers: { cookie: clerk.cookie, range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(file.subarray(100, 200));

    // The court does not hold the item: no access until the police share it, until a time.
    const judge = await w.as('judge');
    expect((await judge.get(`/api/v1/custody/evidence/${list[0].id}/download`)).statusCode).toBe(404);
    const officer = await w.as('officer');
    expect((await officer.post(`/api/v1/custody/evidence/${list[0].id}/shares`, { orgId: w.orgs.court, expiresAt: new Date(Date.now() - 1000).toISOString() })).json().error.details[0].field).toBe('expiresAt');
    expect((await officer.post(`/api/v1/custody/evidence/${list[0].id}/shares`, { orgId: w.orgs.court, expiresAt: new Date(Date.now() + 86_400_000).toISOString() })).statusCode).toBe(201);
    expect((await judge.get(`/api/v1/custody/evidence/${list[0].id}/download`)).statusCode).toBe(200);
    expect((await judge.get('/api/v1/custody/evidence/shared')).json().map((e: { id: string }) => e.id)).toContain(list[0].id);
    await z.handle.db.updateTable('custody_evidence_shares').set({ expires_at: new Date(Date.now() - 1000) }).where('evidence_id', '=', list[0].id).execute();
    expect((await judge.get(`/api/v1/custody/evidence/${list[0].id}/download`)).statusCode).toBe(404);
  }, 60_000);

  it('a file whose hash differs from the declared one is refused, and the refusal recorded', async () => {
    const clerk = await w.as('clerk');
    const file = crypto.randomBytes(300_000);
    const before = (await clerk.get(`/api/v1/custody/items/${item.id}`)).json().lastSeq;
    const out = await upload(clerk, file, { itemId: item.id, filename: '照片.jpg', filetype: 'image/jpeg', sha256: sha(Buffer.from('something else')) });
    expect(out.status).toBe(422);
    expect(JSON.stringify(out.refusal)).toMatch(/checksum mismatch/);
    const detail = (await clerk.get(`/api/v1/custody/items/${item.id}`)).json();
    expect(detail.lastSeq).toBe(before + 1);
    expect(detail.timeline.at(-1)).toMatchObject({ type: 'evidence_rejected', data: { computed: sha(file) } });
    expect((await clerk.get(`/api/v1/custody/items/${item.id}/evidence`)).json()).toHaveLength(1);
  });

  it('names the missing metadata, and hides other agencies’ items', async () => {
    const clerk = await w.as('clerk');
    let out = await upload(clerk, Buffer.from('x'), { itemId: item.id, filename: 'a.txt' });
    expect(out.status).toBe(400);
    const outsider = await (await custodyWorld(z)).as('clerk');
    out = await upload(outsider, Buffer.from('x'), { itemId: item.id, filename: 'a.txt', sha256: sha(Buffer.from('x')) });
    expect(out.status).toBe(404);
  });
});

describe('remote display (远程示证)', () => {
  it('an expiring read-only link for one viewer, photos watermarked, every view audited, revocable', async () => {
    const officer = await w.as('officer');
    const jpeg = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#8899aa' } }).jpeg().toBuffer();
    const photo = await storePhoto(z.handle.db, jpeg, { createdBy: w.users.officer.id, maxBytes: 15 * MB });
    expect((await officer.post(`/api/v1/custody/items/${item.id}/events`, { type: 'photograph', fileIds: [photo.id] })).statusCode).toBe(201);
    let r = await officer.post('/api/v1/custody/displays', { title: '庭审示证', viewerName: '审判长 钱某', itemIds: [item.id], expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(r.statusCode).toBe(201);
    const { token, url, id } = r.json();
    expect(url).toBe(`/display/${token}`);
    const view = await fetch(`${base}/api/v1/public/custody-display/${token}`);
    expect(view.status).toBe(200);
    const page = await view.json();
    expect(page).toMatchObject({ title: '庭审示证', viewerName: '审判长 钱某', items: [{ code: item.code, evidence: [{ mime: 'video/mp4' }] }] });
    expect(page.watermark).toMatch(/审判长 钱某/);
    const img = await fetch(`${base}${page.items[0].photos[0].url}`);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const pixels = await sharp(Buffer.from(await img.arrayBuffer())).raw().toBuffer();
    const plain = await sharp(jpeg).raw().toBuffer();
    // The watermark changed the picture.
    expect(pixels.length).toBe(plain.length);
    expect(pixels.equals(plain)).toBe(false);
    const views = await z.handle.db.selectFrom('audit_log').select('after').where('action', '=', 'custody_display.viewed').where('target_id', '=', id).execute();
    expect(views.length).toBeGreaterThanOrEqual(2);
    // Revoked: the link is dead.
    expect((await officer.post(`/api/v1/custody/displays/${id}/revoke`)).statusCode).toBe(204);
    expect((await fetch(`${base}/api/v1/public/custody-display/${token}`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/public/custody-display/${'x'.repeat(32)}`)).status).toBe(404);
    // Only items the creator sees can be shown.
    r = await (await custodyWorld(z)).as('officer').then((o) => o.post('/api/v1/custody/displays', { title: 'x', viewerName: 'y', itemIds: [item.id], expiresAt: new Date(Date.now() + 3_600_000).toISOString() }));
    expect(r.json().error.details[0].field).toBe('itemIds.0');
  });
});
