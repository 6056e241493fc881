import crypto from 'node:crypto';
import http from 'node:http';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tus from 'tus-js-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App, type Authenticator } from '../http/app.js';
import type { Actor, ActorContext } from '../http/context.js';
import { conflict, invalid } from '../http/errors.js';
import { cleanupExpired, registerTusUploads, sha256File, type TusUploadInfo, type TusUploads } from './tus.js';

const MB = 1024 * 1024;
const MAX_SIZE = 10 * 1024 * MB;
const PATH = '/api/v1/test/uploads';

function actor(userId: string): Actor {
  return {
    userId,
    username: userId,
    displayName: userId,
    orgId: 'org',
    roles: [],
    permissions: new Set(),
    scopePath: '/',
    scopeOrgId: 'org',
    gridIds: null,
    via: 'token',
  };
}
const A = actor('00000000-0000-0000-0000-00000000000a');
const B = actor('00000000-0000-0000-0000-00000000000b');

/** Bearer t1 → A, t2 → B; session cookie s1 → A with CSRF token c1. */
const authenticator: Authenticator = {
  async resolve(by) {
    if ('bearer' in by) return by.bearer === 't1' ? { actor: A, csrfToken: null } : by.bearer === 't2' ? { actor: B, csrfToken: null } : undefined;
    return by.sessionToken === 's1' ? { actor: { ...A, via: 'session' }, csrfToken: 'c1' } : undefined;
  },
};
const asA = { authorization: 'Bearer t1' };
const asB = { authorization: 'Bearer t2' };

let app: App;
let uploads: TusUploads;
let dir: string;
let origin: string;
let endpoint: string;
/** Every onFinish call, as the custody module would see it. */
let finished: (TusUploadInfo & { sha256: string; by: string })[];

const sha256 = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');
const decodeHeaderJson = (v: string | null | undefined) => (v ? JSON.parse(Buffer.from(v, 'base64url').toString('utf8')) : undefined);

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'zhian-tus-'));
  app = await createApp({ logger: false, bodyLimit: MB, trustProxy: false, authenticator, ready: async () => true });
  uploads = await registerTusUploads(app, {
    path: PATH,
    directory: dir,
    maxSize: MAX_SIZE,
    hooks: {
      // As the custody module will: the declared hash is required, and compared at the end.
      async onCreate(_ctx: ActorContext, upload) {
        if (!/^[0-9a-f]{64}$/.test(upload.metadata.sha256 ?? '')) throw invalid('metadata.sha256', 'the SHA-256 of the file, 64 hex digits');
        return { received: 'yes' };
      },
      async onFinish(ctx, upload) {
        finished.push({ ...upload, by: ctx.actor.userId });
        if (upload.sha256 !== upload.metadata.sha256) throw conflict('the file does not match its declared SHA-256', { declared: upload.metadata.sha256, actual: upload.sha256 });
        return { evidenceId: `E-${upload.id.slice(0, 8)}`, sha256: upload.sha256 };
      },
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  origin = `http://127.0.0.1:${address.port}`;
  endpoint = `${origin}${PATH}`;
});
afterAll(async () => {
  await app?.close();
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  finished = [];
});

/** Creates an upload with a bare POST; returns its absolute URL. */
async function create(headers: Record<string, string>, size: number, metadata: Record<string, string>): Promise<Response> {
  const meta = Object.entries(metadata)
    .map(([k, v]) => `${k} ${Buffer.from(v).toString('base64')}`)
    .join(',');
  return fetch(endpoint, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(size), ...(meta ? { 'Upload-Metadata': meta } : {}), ...headers } });
}

function patch(url: string, headers: Record<string, string>, offset: number, body: Uint8Array): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream', ...headers },
    // A copy on its own ArrayBuffer, the only kind fetch's types accept.
    body: new Uint8Array(body),
  });
}

function head(url: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'HEAD', headers: { 'Tus-Resumable': '1.0.0', ...headers } });
}

interface Outcome {
  url: string | null;
  status?: number;
  body?: string;
  error?: unknown;
  sha256Header?: string;
  result?: unknown;
  refusal?: unknown;
}

/** Runs one tus-js-client upload to completion or error, without retries; records the final answer's headers. */
function runUpload(file: Buffer, options: tus.UploadOptions): Promise<Outcome> {
  return new Promise((resolve) => {
    const outcome: Outcome = { url: null };
    const upload = new tus.Upload(file, {
      endpoint,
      retryDelays: null,
      ...options,
      onAfterResponse(req, res) {
        const sha = res.getHeader('Upload-Sha256');
        if (sha) {
          outcome.sha256Header = sha;
          outcome.result = decodeHeaderJson(res.getHeader('X-Upload-Result'));
          outcome.refusal = decodeHeaderJson(res.getHeader('X-Upload-Error'));
        }
        return options.onAfterResponse?.(req, res);
      },
      onSuccess() {
        outcome.url = upload.url;
        resolve(outcome);
      },
      onError(err) {
        outcome.url = upload.url;
        outcome.error = err;
        const res = (err as tus.DetailedError).originalResponse;
        outcome.status = res?.getStatus();
        outcome.body = res?.getBody();
        resolve(outcome);
      },
    });
    upload.start();
  });
}

describe('tus uploads', () => {
  it('resumes an interrupted 8 MB upload from the server offset and reports the server hash', async () => {
    const file = crypto.randomBytes(8 * MB);
    const hash = sha256(file);
    const metadata = { filename: '现场录像.mp4', sha256: hash };

    // First attempt: 1 MB chunks, abandoned in the middle of the third chunk.
    const firstUrl = await new Promise<string>((resolve, reject) => {
      const upload = new tus.Upload(file, {
        endpoint,
        chunkSize: MB,
        retryDelays: null,
        headers: asA,
        metadata,
        onProgress(sent) {
          if (sent >= 2.5 * MB && upload.url) {
            const url = upload.url;
            upload.abort().then(() => resolve(url), reject);
          }
        },
        onSuccess: () => reject(new Error('the first attempt should have been interrupted')),
        onError: reject,
      });
      upload.start();
    });
    expect(firstUrl.startsWith(endpoint + '/')).toBe(true);

    // Second attempt: a new client, knowing only the URL, continues where the server stands.
    let resumedAt: number | undefined;
    let firstPatchOffset: number | undefined;
    const outcome = await runUpload(file, {
      uploadUrl: firstUrl,
      chunkSize: MB,
      headers: asA,
      metadata,
      onAfterResponse(req, res) {
        if (req.getMethod() === 'HEAD') resumedAt = Number(res.getHeader('Upload-Offset'));
      },
      onBeforeRequest(req) {
        if (req.getMethod() === 'PATCH' && firstPatchOffset === undefined) firstPatchOffset = Number(req.getHeader('Upload-Offset'));
      },
    });
    expect(outcome.error).toBeUndefined();
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(file.length);
    expect(firstPatchOffset).toBe(resumedAt);

    expect(finished).toHaveLength(1);
    const done = finished[0];
    expect(done).toMatchObject({ size: file.length, sha256: hash, by: A.userId, createdBy: A.userId });
    expect(done.metadata).toEqual({ filename: '现场录像.mp4', sha256: hash, received: 'yes' });
    expect(outcome.url).toBe(`${endpoint}/${done.id}`);
    expect(outcome.sha256Header).toBe(hash);
    expect(outcome.result).toEqual({ evidenceId: `E-${done.id.slice(0, 8)}`, sha256: hash });
    expect(path.isAbsolute(done.path)).toBe(true);
    expect((await fsp.readFile(done.path)).equals(file)).toBe(true);
    expect(await sha256File(done.path)).toBe(hash);

    // A later HEAD repeats the outcome, for a client whose final answer was lost.
    const again = await head(outcome.url!, asA);
    expect(again.status).toBe(200);
    expect(again.headers.get('upload-offset')).toBe(String(file.length));
    expect(again.headers.get('upload-sha256')).toBe(hash);
    expect(decodeHeaderJson(again.headers.get('x-upload-result'))).toEqual(outcome.result);

    // A finished upload is the caller's: it can neither be finished again nor deleted.
    const repeat = await patch(outcome.url!, asA, file.length, new Uint8Array(0));
    expect(repeat.status).toBe(409);
    expect(finished).toHaveLength(1);
    const del = await fetch(outcome.url!, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0', ...asA } });
    expect(del.status).toBe(409);
    expect((await del.json()).error.code).toBe('conflict');
    expect((await fsp.stat(done.path)).size).toBe(file.length);
  });

  it('keeps the bytes of a PATCH cut off mid-body, and a new client resumes from there', async () => {
    const file = crypto.randomBytes(2 * MB);
    const res = await create(asA, file.length, { sha256: sha256(file) });
    const url = new URL(res.headers.get('location')!, endpoint);

    // One PATCH announcing the whole file; the connection dies after 700 KB.
    const cutAt = 700 * 1024;
    await new Promise<void>((resolve) => {
      const req = http.request(url, {
        method: 'PATCH',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(file.length), ...asA },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(file.subarray(0, cutAt), () => setTimeout(() => req.destroy(), 100));
    });

    // The server settles the cut request before answering HEAD (the lock passes on).
    const offset = Number((await head(url.toString(), asA)).headers.get('upload-offset'));
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThanOrEqual(cutAt);

    let resumedAt: number | undefined;
    const outcome = await runUpload(file, {
      uploadUrl: url.toString(),
      chunkSize: MB,
      headers: asA,
      onAfterResponse(req, r) {
        if (req.getMethod() === 'HEAD') resumedAt = Number(r.getHeader('Upload-Offset'));
      },
    });
    expect(outcome.error).toBeUndefined();
    expect(resumedAt).toBe(offset);
    expect(outcome.sha256Header).toBe(sha256(file));
    expect((await fsp.readFile(finished[0].path)).equals(file)).toBe(true);
  });

  it('reports a file that does not match its declared SHA-256 as refused (422), keeping the file', async () => {
    const file = crypto.randomBytes(300 * 1024);
    const declared = sha256(Buffer.from('something else'));
    const outcome = await runUpload(file, { chunkSize: 128 * 1024, headers: asA, metadata: { sha256: declared } });

    expect(finished).toHaveLength(1);
    expect(finished[0].metadata.sha256).toBe(declared);
    expect(finished[0].sha256).toBe(sha256(file));
    expect(outcome.error).toBeDefined();
    expect(outcome.status).toBe(422);
    const body = JSON.parse(outcome.body!);
    expect(body.error).toMatchObject({ code: 'conflict', details: { declared, actual: sha256(file) } });
    expect(body.error.requestId).toEqual(expect.any(String));
    expect(outcome.sha256Header).toBe(sha256(file));
    expect(outcome.refusal).toMatchObject({ code: 'conflict' });
    expect((await fsp.readFile(finished[0].path)).equals(file)).toBe(true);

    // A client that retried would learn of the refusal from HEAD.
    const again = await head(outcome.url!, asA);
    expect(again.headers.get('upload-sha256')).toBe(sha256(file));
    expect(decodeHeaderJson(again.headers.get('x-upload-error'))).toMatchObject({ code: 'conflict' });
  });

  it('refuses to create an upload without the sha256 metadata, naming the field (400)', async () => {
    const res = await create(asA, 10, { filename: 'a.bin' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'metadata.sha256' }] });

    const viaClient = await runUpload(Buffer.from('0123456789'), { headers: asA, metadata: { filename: 'a.bin' } });
    expect(viaClient.status).toBe(400);
    expect(JSON.parse(viaClient.body!).error.details[0].field).toBe('metadata.sha256');

    const garbled = await fetch(endpoint, { method: 'POST', headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': 'sha256 not*base64', ...asA } });
    expect(garbled.status).toBe(400);
    expect((await garbled.json()).error.details[0].field).toBe('Upload-Metadata');
  });

  it("hides one user's upload from another (404), even with a forged owner in the metadata", async () => {
    const data = crypto.randomBytes(1000);
    const res = await create(asA, data.length, { sha256: sha256(data), 'zhian-created-by': B.userId });
    expect(res.status).toBe(201);
    const url = new URL(res.headers.get('location')!, endpoint).toString();

    expect((await head(url, asB)).status).toBe(404);
    const patchB = await patch(url, asB, 0, data);
    expect(patchB.status).toBe(404);
    expect((await patchB.json()).error.code).toBe('not_found');
    const delB = await fetch(url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0', ...asB } });
    expect(delB.status).toBe(404);
    // The same answer as for an upload that does not exist.
    expect((await head(`${endpoint}/${'0'.repeat(32)}`, asB)).status).toBe(404);
    expect((await head(`${endpoint}/..%2F..%2Fetc`, asA)).status).toBe(404);

    // tus's own refusals come in the API's error shape too.
    const wrongOffset = await patch(url, asA, 10, data);
    expect(wrongOffset.status).toBe(409);
    expect((await wrongOffset.json()).error).toMatchObject({ code: 'conflict', requestId: expect.any(String) });

    const mine = await head(url, asA);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('upload-offset')).toBe('0');
    // The owner may still abandon an unfinished upload.
    const delA = await fetch(url, { method: 'DELETE', headers: { 'Tus-Resumable': '1.0.0', ...asA } });
    expect(delA.status).toBe(204);
    expect((await head(url, asA)).status).toBe(404);
  });

  it('requires credentials (401) and, for a session cookie, the CSRF token (403)', async () => {
    const data = Buffer.from('x');
    const anonymous = await create({}, 1, { sha256: sha256(data) });
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthenticated');
    expect((await create({ authorization: 'Bearer nope' }, 1, { sha256: sha256(data) })).status).toBe(401);
    expect((await head(`${endpoint}/${'0'.repeat(32)}`, {})).status).toBe(401);
    const viaClient = await runUpload(data, { metadata: { sha256: sha256(data) } });
    expect(viaClient.status).toBe(401);

    const noCsrf = await create({ cookie: 'zhian_session=s1' }, 1, { sha256: sha256(data) });
    expect(noCsrf.status).toBe(403);
    const outcome = await runUpload(data, { headers: { cookie: 'zhian_session=s1', 'x-csrf-token': 'c1' }, metadata: { sha256: sha256(data) } });
    expect(outcome.error).toBeUndefined();
    expect(outcome.sha256Header).toBe(sha256(data));
  });

  it('refuses an Upload-Length above maxSize (413)', async () => {
    const res = await create(asA, MAX_SIZE + 1, { sha256: sha256(Buffer.from('x')) });
    expect(res.status).toBe(413);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: 'payload_too_large', details: [{ field: 'Upload-Length' }] });
    expect((await create(asA, MAX_SIZE, { sha256: sha256(Buffer.from('x')) })).status).toBe(201);

    const options = await fetch(endpoint, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('tus-max-size')).toBe(String(MAX_SIZE));
  });

  it('cleans up abandoned incomplete uploads, never finished bytes', async () => {
    const data = crypto.randomBytes(2000);
    const url = new URL((await create(asA, data.length, { sha256: sha256(data) })).headers.get('location')!, endpoint).toString();
    expect((await patch(url, asA, 0, data.subarray(0, 500))).status).toBe(204);
    const stale = url.split('/').pop()!;
    const done = await runUpload(data, { headers: asA, metadata: { sha256: sha256(data) } });
    const kept = finished[0].path;

    const old = new Date(Date.now() - 2 * 3600_000);
    for (const p of [path.join(dir, stale), path.join(dir, `${stale}.json`), kept, `${kept}.json`]) await fsp.utimes(p, old, old);
    const removed = await uploads.cleanupExpired(3600_000);
    expect(removed).toBeGreaterThanOrEqual(1);
    await expect(fsp.stat(path.join(dir, stale))).rejects.toThrow();
    expect((await head(url, asA)).status).toBe(404);
    expect((await fsp.readFile(kept)).equals(data)).toBe(true);
    expect((await head(done.url!, asA)).status).toBe(200);

    // Once the caller has moved the bytes away, the record goes too.
    await fsp.rename(kept, `${kept}.moved`);
    expect(await cleanupExpired(dir, 3600_000)).toBe(1);
    await expect(fsp.stat(`${kept}.json`)).rejects.toThrow();
    await expect(fsp.stat(`${kept}.outcome.json`)).rejects.toThrow();
  });
});
