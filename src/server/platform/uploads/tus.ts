import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { FileStore } from '@tus/file-store';
import { Metadata, Server, type ServerOptions, type Upload } from '@tus/server';
import { actorContextOf, type App } from '../http/app.js';
import type { ActorContext } from '../http/context.js';
import { AppError, conflict, ERROR_STATUS, invalid, notFound } from '../http/errors.js';

/**
 * Resumable uploads over tus 1.0 (https://tus.io/protocols/resumable-upload), for files too
 * large for one request — digital evidence up to 10 GB. @tus/server speaks the protocol and
 * @tus/file-store keeps the bytes under one directory; this layer adds the platform's
 * identity, ownership, error shape and an integrity check tus itself lacks: the client
 * declares the file's SHA-256 in Upload-Metadata and the server re-hashes the stored bytes
 * once the last one has arrived.
 *
 * What a client sends (tus-js-client: `endpoint`, `headers`, `metadata`):
 * - `Authorization: Bearer …`, or the session cookie plus `x-csrf-token` (on POST, PATCH,
 *   DELETE — tus-js-client sends `headers` on every request);
 * - `Upload-Length` (at most maxSize), and `Upload-Metadata` with the keys the caller's
 *   onCreate demands (for evidence: `sha256`, hex).
 *
 * What it gets back: on the final PATCH, `Upload-Sha256` (the server's hash) and
 * `X-Upload-Result` (base64url JSON of what onFinish returned), or — when onFinish refused
 * the file — status 422, `X-Upload-Error` (base64url JSON) and the usual JSON error body.
 * A later HEAD of the upload repeats these headers, because tus clients retry a lost or
 * failed final PATCH by asking HEAD for the offset and then report success without any
 * body: a client knows the outcome only from these headers (read them in onAfterResponse).
 */

/** Response headers carrying the outcome of a finished upload. */
export const UPLOAD_SHA256_HEADER = 'Upload-Sha256';
export const UPLOAD_RESULT_HEADER = 'X-Upload-Result';
export const UPLOAD_ERROR_HEADER = 'X-Upload-Error';

/** Metadata key the server writes with the creator's user id; a client's value is dropped. */
const CREATED_BY_KEY = 'zhian-created-by';
/** Upload ids are ours (never client-chosen): 128 random bits, hex; also safe as file names. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;
const RECORD_FILE = /^([0-9a-f]{32})\.json$/;
/** Large reads: hashing 10 GB in 64 KiB pieces spends its time in the event loop, not in SHA-256. */
const HASH_READ_BYTES = 1024 * 1024;
/**
 * A refused finish answers 422 whatever the hook's error code: tus clients retry 409 (an
 * offset mismatch, in tus) and 5xx, and such a retry finds the upload complete and reports
 * success — a refused file must surface as an error the client does not retry.
 */
const FINISH_REFUSED_STATUS = 422;

/** A finished upload as the caller sees it. */
export interface TusUploadInfo {
  id: string;
  /** Length in bytes, as declared by Upload-Length (and verified by tus as received). */
  size: number;
  /** The client's Upload-Metadata plus what onCreate added; server-only keys removed. */
  metadata: Record<string, string>;
  /** User id of the actor who created the upload. */
  createdBy: string;
  /** Absolute path of the stored bytes; they stay there until the caller moves them. */
  path: string;
}

/** What the caller decides; both hooks run with the signed-in actor of the request. */
export interface TusHooks {
  /**
   * Before an upload is created (POST): validate size and metadata. Throw AppError to refuse
   * (e.g. invalid('metadata.sha256', …) → 400 with the field named). May return extra
   * metadata to store with the upload (passed back in onFinish, shown on HEAD). Runs before
   * tus creates anything and tus may still refuse the request, so it should not write state.
   * `size` is undefined when the client defers the length (Upload-Defer-Length).
   */
  onCreate(
    ctx: ActorContext,
    upload: { id: string; size: number | undefined; metadata: Record<string, string> },
  ): Promise<void | Record<string, string>>;
  /**
   * After the last byte, with the SHA-256 the server computed from the stored file. Runs once
   * per upload: a repeated final PATCH is refused (409) without calling it again. The return
   * value (keep it small: it travels in a header) is sent as X-Upload-Result. Throwing
   * AppError refuses the upload: the client gets 422 with the error; the file is kept and its
   * path is in `upload`, so the hook records the refusal itself (e.g. a custody event for a
   * hash mismatch). Any other error is logged and answered 500, and likewise final: the
   * hook is not run again for that upload. ctx is the actor of the request carrying the last
   * byte (always the creator).
   */
  onFinish(ctx: ActorContext, upload: TusUploadInfo & { sha256: string }): Promise<unknown>;
}

export interface TusUploadOptions {
  /** URL path of the endpoint, e.g. '/api/v1/custody/uploads'; uploads live at `${path}/<id>`. */
  path: string;
  /** Directory for the bytes (`<id>`), tus's record (`<id>.json`) and the outcome (`<id>.outcome.json`). */
  directory: string;
  /** Largest Upload-Length accepted, in bytes (413 above). */
  maxSize: number;
  hooks: TusHooks;
}

export interface TusUploads {
  server: Server;
  datastore: FileStore;
  /**
   * Deletes abandoned uploads: incomplete ones untouched for olderThanMs, and the leftover
   * records of finished ones whose bytes the caller has moved away. Returns how many.
   */
  cleanupExpired(olderThanMs: number): Promise<number>;
}

/** How a finished upload ended, kept next to it so that HEAD can repeat it. */
type Outcome =
  | { state: 'finishing' }
  | { state: 'accepted'; sha256: string; result: unknown }
  | { state: 'refused'; sha256: string; status: number; error: ErrorBody['error'] };

interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId: string };
}

/** What the Fastify route learnt about a request, for tus's hooks (which see only the raw request). */
interface Admitted {
  ctx: ActorContext;
  requestId: string;
  log: FastifyBaseLogger;
  /** The upload id the route checked; tus must act on no other. */
  uploadId: string;
  /** POST only: the metadata to store, validated by onCreate. */
  metadata?: Record<string, string>;
}

/**
 * Mounts a tus endpoint at opts.path: POST creates an upload, HEAD reports its offset,
 * PATCH appends bytes, DELETE abandons an unfinished upload, OPTIONS describes the server.
 * Every method but OPTIONS needs a signed-in actor (401), and CSRF applies to cookie
 * sessions as everywhere in the API. An upload is visible only to the actor who created it:
 * anyone else gets 404, as for an upload that does not exist. Request bodies bypass
 * Fastify's parsers and body limit: tus streams them to disk and enforces the lengths.
 *
 * CORS stays off (same-origin console, like the rest of the API). Locks are per process
 * (tus's MemoryLocker): with several instances, route one upload's requests to one instance.
 */
/**
 * FileStore creates its directory from the constructor with a callback that throws: when the
 * directory vanishes meanwhile (a test's temporary directory removed), that throw is an
 * uncaught exception of the process. The directory is created (awaited) before, so skip it.
 */
class PreparedFileStore extends FileStore {}
// A private method of FileStore (hence not an override TypeScript would accept).
Object.defineProperty(PreparedFileStore.prototype, 'checkOrCreateDirectory', { value: () => undefined });

export async function registerTusUploads(app: App, opts: TusUploadOptions): Promise<TusUploads> {
  const { hooks, maxSize } = opts;
  const base = opts.path.replace(/\/+$/, '');
  const directory = path.resolve(opts.directory);
  await fsp.mkdir(directory, { recursive: true });

  const datastore = new PreparedFileStore({ directory });
  // Keyed by the raw Node request, which tus hands to its hooks (as req.runtime.node.req).
  const admitted = new WeakMap<object, Admitted>();

  const admittedOf = (req: TusRequest): Admitted => {
    const raw = req.runtime?.node?.req;
    const found = raw && admitted.get(raw);
    if (!found) throw new Error('tus request did not pass through the upload route');
    return found;
  };

  const server = new Server({
    path: base,
    datastore,
    maxSize,
    // The client resolves it against its endpoint, so proxies and https need no configuration.
    relativeLocation: true,
    allowedOrigins: () => false,
    exposedHeaders: [UPLOAD_SHA256_HEADER, UPLOAD_RESULT_HEADER, UPLOAD_ERROR_HEADER],
    // Evidence, once complete, belongs to the caller: nobody deletes it through tus.
    disableTerminationForFinishedUploads: true,
    namingFunction: (req) => admittedOf(req).uploadId,
    async onIncomingRequest(req, uploadId) {
      // tus parses the id from the URL itself; it must be the one whose owner was checked.
      if (admittedOf(req).uploadId !== uploadId) throw notFound('upload');
    },
    async onUploadCreate(req) {
      const { metadata } = admittedOf(req);
      if (!metadata) throw new Error('upload created without admitted metadata');
      return { metadata };
    },
    async onUploadFinish(req, upload) {
      return finish(admittedOf(req), upload);
    },
    onResponseError(req, err) {
      const node = req.runtime?.node;
      // Only OPTIONS reaches tus unadmitted; the route has put the request id on the response.
      const found = (node && admitted.get(node.req)) || { requestId: String(node?.res?.getHeader('x-request-id') ?? ''), log: app.log };
      const { status, body } = errorBody(err, found.requestId, found.log);
      return { status_code: status, body: JSON.stringify(body) };
    },
  });

  async function finish(a: Admitted, upload: Upload): Promise<{ status_code?: number; headers: Record<string, string>; body?: string }> {
    const outcomePath = path.join(directory, `${upload.id}.outcome.json`);
    // Claimed atomically, so that a repeated final PATCH (a zero-byte PATCH at the end offset
    // passes tus's checks) never runs the caller's hook twice.
    try {
      await fsp.writeFile(outcomePath, JSON.stringify({ state: 'finishing' } satisfies Outcome), { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict('the upload is already finished');
      throw err;
    }
    const file = upload.storage?.path ?? path.join(directory, upload.id);
    let sha256: string;
    try {
      sha256 = await sha256File(file);
    } catch (err) {
      // Nothing was decided yet: release the claim so that a retried final PATCH tries again.
      await fsp.rm(outcomePath, { force: true });
      throw err;
    }
    const { createdBy, metadata } = splitMetadata(upload.metadata);
    const info = { id: upload.id, size: upload.size ?? upload.offset, metadata, createdBy, path: file, sha256 };
    let outcome: Outcome;
    try {
      const result = await hooks.onFinish(a.ctx, info);
      outcome = { state: 'accepted', sha256, result };
    } catch (err) {
      const { status, body } = errorBody(err, a.requestId, a.log);
      outcome = { state: 'refused', sha256, status: status < 500 ? FINISH_REFUSED_STATUS : status, error: body.error };
    }
    await fsp.writeFile(outcomePath, JSON.stringify(outcome));
    const headers = outcomeHeaders(outcome);
    if (outcome.state !== 'refused') return { headers };
    return {
      status_code: outcome.status,
      headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ error: outcome.error } satisfies ErrorBody),
    };
  }

  /** POST: checks the declared length and lets the caller validate the metadata. */
  async function admitCreation(req: FastifyRequest, ctx: ActorContext): Promise<Admitted> {
    const length = header(req, 'upload-length');
    let size: number | undefined;
    if (length !== undefined) {
      if (!/^\d+$/.test(length)) throw invalid('Upload-Length', 'must be a whole number of bytes');
      size = Number(length);
      if (size > maxSize) {
        const message = `at most ${maxSize} bytes`;
        throw new AppError('payload_too_large', `Upload-Length: ${message}`, [{ field: 'Upload-Length', message }]);
      }
    }
    const metadata = parseMetadata(header(req, 'upload-metadata'));
    const uploadId = crypto.randomBytes(16).toString('hex');
    const extra = await hooks.onCreate(ctx, { id: uploadId, size, metadata });
    return {
      ctx,
      requestId: req.id,
      log: req.log,
      uploadId,
      metadata: { ...metadata, ...(extra ?? {}), [CREATED_BY_KEY]: ctx.actor.userId },
    };
  }

  /** PATCH, HEAD, DELETE: the upload must exist and be the actor's own. */
  async function admitExisting(req: FastifyRequest, reply: FastifyReply, ctx: ActorContext, uploadId: string): Promise<Admitted> {
    if (!UPLOAD_ID.test(uploadId)) throw notFound('upload');
    let upload: Upload;
    try {
      upload = await datastore.getUpload(uploadId);
    } catch {
      throw notFound('upload');
    }
    if (upload.metadata?.[CREATED_BY_KEY] !== ctx.actor.userId) throw notFound('upload');
    const complete = upload.size !== undefined && upload.offset === upload.size;
    if (req.method === 'DELETE' && complete) throw conflict('a finished upload cannot be deleted');
    if (req.method === 'HEAD' && complete) {
      const outcome = await readOutcome(path.join(directory, `${uploadId}.outcome.json`));
      // Set on the raw response now; tus's own headers are merged in when it answers.
      if (outcome) for (const [name, value] of Object.entries(outcomeHeaders(outcome))) reply.raw.setHeader(name, value);
    }
    return { ctx, requestId: req.id, log: req.log, uploadId };
  }

  async function handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    // OPTIONS is protocol discovery (and a browser's credential-less preflight): no identity needed.
    if (req.method !== 'OPTIONS') {
      const ctx = actorContextOf(req);
      const uploadId = (req.params as { id?: string }).id;
      const a = uploadId === undefined ? await admitCreation(req, ctx) : await admitExisting(req, reply, ctx, uploadId);
      admitted.set(req.raw, a);
    }
    // tus writes the raw response itself, so Fastify's onSend (which adds this) does not run.
    reply.raw.setHeader('x-request-id', req.id);
    reply.hijack();
    try {
      await server.handle(req.raw, reply.raw);
    } catch (err) {
      req.log.error({ err }, 'tus upload request failed');
      if (!reply.raw.headersSent) reply.raw.statusCode = 500;
      reply.raw.end();
    }
  }

  await app.register(async (scope) => {
    // Bodies stay unread: tus streams them straight to disk, whatever their length.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    const schema = { hide: true };
    scope.route({ method: ['POST', 'OPTIONS'], url: base, schema, handler: handle });
    scope.route({ method: ['PATCH', 'HEAD', 'DELETE', 'OPTIONS'], url: `${base}/:id`, schema, handler: handle });
  });

  return { server, datastore, cleanupExpired: (olderThanMs) => cleanupExpired(directory, olderThanMs) };
}

/** SHA-256 of a file, hex, read as a stream (never whole in memory). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file, { highWaterMark: HASH_READ_BYTES }), hash);
  return hash.digest('hex');
}

/**
 * Deletes, in an upload directory, the uploads abandoned for olderThanMs: incomplete uploads
 * whose bytes have not grown since (measured by the data file's mtime, so a slow upload
 * still in progress is kept), and the records and outcomes of finished uploads whose bytes
 * the caller has moved away. Finished bytes are never deleted. Returns how many uploads.
 *
 * Used instead of @tus/file-store's expiration: its deleteExpired compares against the
 * offset saved at creation (always 0), so it would delete finished uploads too, and the
 * expiry it enforces counts from creation rather than from the last byte received.
 */
export async function cleanupExpired(directory: string, olderThanMs: number): Promise<number> {
  const cutoff = Date.now() - olderThanMs;
  let names: string[];
  try {
    names = await fsp.readdir(directory);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let deleted = 0;
  for (const name of names) {
    const id = RECORD_FILE.exec(name)?.[1];
    if (!id) continue;
    const recordPath = path.join(directory, name);
    const dataPath = path.join(directory, id);
    const [record, data, recordStat] = await Promise.all([
      readJson<{ size?: number }>(recordPath),
      fsp.stat(dataPath).catch(() => undefined),
      fsp.stat(recordPath).catch(() => undefined),
    ]);
    const lastTouched = data?.mtimeMs ?? recordStat?.mtimeMs ?? 0;
    if (lastTouched > cutoff) continue;
    const complete = !!data && record?.size !== undefined && data.size >= record.size;
    if (complete) continue;
    await Promise.all([dataPath, recordPath, path.join(directory, `${id}.outcome.json`)].map((p) => fsp.rm(p, { force: true })));
    deleted++;
  }
  return deleted;
}

type TusRequest = Parameters<NonNullable<ServerOptions['onUploadFinish']>>[0];

function header(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Upload-Metadata: `key base64value` pairs, comma-separated; a key alone means an empty value. */
function parseMetadata(raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: Record<string, string | null>;
  try {
    parsed = Metadata.parse(raw);
  } catch {
    throw invalid('Upload-Metadata', 'must be comma-separated "key base64(value)" pairs with unique keys');
  }
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (key !== CREATED_BY_KEY) metadata[key] = value ?? '';
  return metadata;
}

function splitMetadata(stored: Upload['metadata']): { createdBy: string; metadata: Record<string, string> } {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(stored ?? {})) if (key !== CREATED_BY_KEY) metadata[key] = value ?? '';
  return { createdBy: stored?.[CREATED_BY_KEY] ?? '', metadata };
}

function outcomeHeaders(outcome: Outcome): Record<string, string> {
  if (outcome.state === 'finishing') return {};
  const headers: Record<string, string> = { [UPLOAD_SHA256_HEADER]: outcome.sha256 };
  if (outcome.state === 'refused') headers[UPLOAD_ERROR_HEADER] = encodeHeaderJson(outcome.error);
  else if (outcome.result !== undefined) headers[UPLOAD_RESULT_HEADER] = encodeHeaderJson(outcome.result);
  return headers;
}

/** JSON in a header: base64url, since header values must be ASCII without line breaks. */
function encodeHeaderJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function readOutcome(file: string): Promise<Outcome | undefined> {
  return readJson<Outcome>(file);
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/**
 * The API's one error shape for anything tus or a hook throws: AppError as mapped by the
 * table, tus's own `{ status_code, body }` errors with their status and text, anything else
 * a logged 500.
 */
function errorBody(err: unknown, requestId: string, log: FastifyBaseLogger): { status: number; body: ErrorBody } {
  if (err instanceof AppError) {
    const details = err.details !== undefined ? { details: err.details } : {};
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...details, requestId } } };
  }
  const tus = err as { status_code?: unknown; body?: unknown };
  if (typeof tus?.status_code === 'number' && tus.status_code < 500) {
    const status = tus.status_code;
    const byStatus = Object.entries(ERROR_STATUS).find(([, s]) => s === status)?.[0];
    const code = status === 400 ? 'bad_request' : (byStatus ?? 'bad_request');
    return { status, body: { error: { code, message: String(tus.body ?? '').trim(), requestId } } };
  }
  log.error({ err }, 'tus upload failed');
  return { status: 500, body: { error: { code: 'internal', message: 'internal error', requestId } } };
}
