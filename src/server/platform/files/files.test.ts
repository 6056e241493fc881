import crypto from 'node:crypto';
import zlib from 'node:zlib';
import exifr from 'exifr';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, login, testConfig, testZhian, type Client, type Tenant } from '../../../../test/helpers.js';
import type { Zhian } from '../../main.js';
import { createApp, type App } from '../http/app.js';
import { AppError } from '../http/errors.js';
import { attachFiles, deleteUnattachedFiles, inspectPhoto, MAX_INPUT_PIXELS, PHOTO_MIME, readFile, storePhoto } from './files.js';
import { registerFileRoutes } from './files.routes.js';

let z: Zhian;
let t: Tenant;
let admin: Client;
let worker: Client;
/** A second app on the same database with tight limits: 4 KB bodies, 2 public uploads a minute. */
let tight: App;

const MB = 1024 * 1024;
const GPS = { IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '30/1 30/1 0/1', GPSLongitudeRef: 'E', GPSLongitude: '120/1 15/1 0/1' } };
const solid = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 200, g: 60, b: 40 } } });

let jpegGps: Buffer;
let pngGps: Buffer;
let webpGps: Buffer;
let jpegRotated: Buffer;
let wide: Buffer;
/** A noisy JPEG whose second half (pixel data) is cut off; the header is intact. */
let truncated: Buffer;
const text = Buffer.from('这不是照片 — just text pretending to be photo.jpg\n'.repeat(20));

/** The 1×1 PNG with its IHDR rewritten to claim 10000×10000 pixels (a decompression bomb). */
async function bombPng(): Promise<Buffer> {
  const png = Buffer.from(await solid(1, 1).png().toBuffer());
  // Signature (8), IHDR length (4), 'IHDR' (4), width (4), height (4), …, CRC over type+data.
  png.writeUInt32BE(10_000, 16);
  png.writeUInt32BE(10_000, 20);
  png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
  return png;
}

function errorOf(e: unknown): AppError {
  expect(e).toBeInstanceOf(AppError);
  return e as AppError;
}

async function rejects(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    return errorOf(e);
  }
  throw new Error('expected a rejection');
}

const upload = (c: Client, body: Buffer, contentType = 'image/jpeg', url = '/api/v1/files/photos') =>
  c.raw({ method: 'POST', url, body, headers: { 'content-type': contentType } });
const publicUpload = (app: App, body: Buffer, contentType = 'image/jpeg') =>
  app.inject({ method: 'POST', url: '/api/v1/public/photos', headers: { 'content-type': contentType }, payload: body });

beforeAll(async () => {
  z = await testZhian();
  t = await createTenant(z);
  admin = await login(z, t.admin);
  worker = await login(z, t.worker);
  tight = await createApp({ logger: false, bodyLimit: MB, trustProxy: false, authenticator: z.services.auth, ready: async () => true });
  await registerFileRoutes(tight, { db: z.handle.db, maxBytes: 4096, publicUploadsPerMinute: 2 });
  await tight.ready();

  jpegGps = await solid(40, 30).jpeg().withExif(GPS).toBuffer();
  pngGps = await solid(40, 30).png().withExif(GPS).toBuffer();
  webpGps = await solid(40, 30).webp().withExif(GPS).toBuffer();
  jpegRotated = await solid(40, 30).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  wide = await solid(3000, 1000).png().toBuffer();
  const noise = crypto.randomBytes(200 * 150 * 3);
  const noisy = await sharp(noise, { raw: { width: 200, height: 150, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  truncated = noisy.subarray(0, Math.floor(noisy.length * 0.6));
});
afterAll(async () => {
  await tight?.close();
  await z?.close();
});

describe('inspectPhoto', () => {
  const opts = { maxBytes: MB, field: 'photos.0' };

  it('detects JPEG, PNG and WebP from the bytes, with their size and EXIF presence', async () => {
    expect(await inspectPhoto(jpegGps, opts)).toEqual({ mime: 'image/jpeg', width: 40, height: 30, hasExif: true });
    expect(await inspectPhoto(pngGps, opts)).toEqual({ mime: 'image/png', width: 40, height: 30, hasExif: true });
    expect(await inspectPhoto(webpGps, opts)).toEqual({ mime: 'image/webp', width: 40, height: 30, hasExif: true });
    expect(await inspectPhoto(wide, opts)).toEqual({ mime: 'image/png', width: 3000, height: 1000, hasExif: false });
    // Dimensions as displayed: orientation 6 turns 40×30 upright into 30×40.
    expect(await inspectPhoto(jpegRotated, opts)).toMatchObject({ width: 30, height: 40 });
  });

  it('rejects text, other image types, empty and corrupt bodies, naming the field', async () => {
    const notImage = await rejects(inspectPhoto(text, opts));
    expect(notImage.status).toBe(400);
    expect(notImage.details).toEqual([{ field: 'photos.0', message: expect.stringContaining(PHOTO_MIME.join(', ')) }]);

    const gif = await rejects(inspectPhoto(await solid(4, 4).gif().toBuffer(), opts));
    expect(gif.details).toEqual([{ field: 'photos.0', message: expect.stringMatching(/unsupported type image\/gif; accepted types: image\/jpeg/) }]);

    expect((await rejects(inspectPhoto(Buffer.alloc(0), opts))).details).toEqual([{ field: 'photos.0', message: 'the photo is empty' }]);
    // The header of the truncated JPEG is intact: only decoding the pixels reveals it.
    expect(await sharp(truncated).metadata()).toMatchObject({ width: 200, height: 150 });
    const cut = await rejects(inspectPhoto(truncated, opts));
    expect(cut.code).toBe('validation_failed');
    expect(cut.details).toEqual([{ field: 'photos.0', message: expect.stringContaining('corrupt') }]);
    // JPEG magic bytes followed by garbage.
    const fake = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), text]);
    expect((await rejects(inspectPhoto(fake, opts))).code).toBe('validation_failed');
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    const bomb = await bombPng();
    expect(bomb.length).toBeLessThan(200);
    expect(10_000 * 10_000).toBeGreaterThan(MAX_INPUT_PIXELS);
    const e = await rejects(inspectPhoto(bomb, opts));
    expect(e.details).toEqual([{ field: 'photos.0', message: expect.stringContaining('megapixels') }]);
  });

  it('answers 413 above maxBytes', async () => {
    const e = await rejects(inspectPhoto(jpegGps, { maxBytes: jpegGps.length - 1, field: 'photo' }));
    expect(e.code).toBe('payload_too_large');
    expect(e.status).toBe(413);
  });
});

describe('storePhoto and readFile', () => {
  it('keeps the original with its GPS position and strips it from the public copy', async () => {
    const f = await storePhoto(z.handle.db, jpegGps, { createdBy: t.adminId, maxBytes: MB });
    expect(f).toEqual({
      id: expect.any(String),
      mime: 'image/jpeg',
      size: jpegGps.length,
      width: 40,
      height: 30,
      sha256: crypto.createHash('sha256').update(jpegGps).digest('hex'),
    });
    const original = (await readFile(z.handle.db, f.id, 'original'))!;
    expect(Buffer.isBuffer(original.bytes)).toBe(true);
    expect(original.bytes.equals(jpegGps)).toBe(true);
    expect(original.sha256).toBe(f.sha256);
    expect(await exifr.gps(original.bytes)).toEqual({ latitude: 30.5, longitude: 120.25 });

    const pub = (await readFile(z.handle.db, f.id, 'public'))!;
    expect(pub.mime).toBe('image/jpeg');
    expect(pub.sha256).toBe(crypto.createHash('sha256').update(pub.bytes).digest('hex'));
    expect(await exifr.gps(pub.bytes)).toBeUndefined();
    expect(await exifr.parse(pub.bytes)).toBeUndefined();
    const meta = await sharp(pub.bytes).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 40, height: 30 });
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
  });

  it('strips EXIF from PNG and WebP and keeps their type', async () => {
    const png = await storePhoto(z.handle.db, pngGps, { createdBy: null, maxBytes: MB });
    const pngPub = (await readFile(z.handle.db, png.id, 'public'))!;
    expect(await exifr.gps((await readFile(z.handle.db, png.id, 'original'))!.bytes)).toEqual({ latitude: 30.5, longitude: 120.25 });
    expect(pngPub.mime).toBe('image/png');
    expect(await exifr.gps(pngPub.bytes)).toBeUndefined();
    expect((await sharp(pngPub.bytes).metadata()).exif).toBeUndefined();

    // exifr cannot read WebP: check sharp's view and the RIFF chunks.
    const webp = await storePhoto(z.handle.db, webpGps, { createdBy: null, maxBytes: MB });
    const webpPub = (await readFile(z.handle.db, webp.id, 'public'))!;
    expect(webpPub.mime).toBe('image/webp');
    expect((await sharp((await readFile(z.handle.db, webp.id, 'original'))!.bytes).metadata()).exif).toBeDefined();
    expect((await sharp(webpPub.bytes).metadata()).exif).toBeUndefined();
    expect(webpPub.bytes.includes('EXIF')).toBe(false);
  });

  it('turns the public copy upright and bounds it to 2048 px', async () => {
    const rotated = await storePhoto(z.handle.db, jpegRotated, { createdBy: null, maxBytes: MB });
    expect(rotated).toMatchObject({ width: 30, height: 40 });
    const meta = await sharp((await readFile(z.handle.db, rotated.id, 'public'))!.bytes).metadata();
    expect(meta).toMatchObject({ width: 30, height: 40 });
    expect(meta.orientation).toBeUndefined();

    const big = await storePhoto(z.handle.db, wide, { createdBy: null, maxBytes: MB });
    expect(big).toMatchObject({ mime: 'image/png', width: 3000, height: 1000 });
    expect(await sharp((await readFile(z.handle.db, big.id, 'public'))!.bytes).metadata()).toMatchObject({ format: 'png', width: 2048, height: 683 });
  });

  it('rejects a truncated image and stores nothing; unknown ids read as undefined', async () => {
    expect((await rejects(storePhoto(z.handle.db, truncated, { createdBy: t.adminId, maxBytes: MB, field: 'photo' }))).details).toEqual([
      { field: 'photo', message: expect.stringContaining('corrupt') },
    ]);
    const hash = crypto.createHash('sha256').update(truncated).digest('hex');
    expect(await z.handle.db.selectFrom('files').select('id').where('sha256', '=', hash).execute()).toEqual([]);
    expect(await readFile(z.handle.db, crypto.randomUUID(), 'public')).toBeUndefined();
    expect(await readFile(z.handle.db, 'not-a-uuid', 'original')).toBeUndefined();
  });
});

describe('attachFiles', () => {
  const store = (createdBy: string | null) => storePhoto(z.handle.db, jpegGps, { createdBy, maxBytes: MB });
  const attachedAt = async (id: string) =>
    (await z.handle.db.selectFrom('files').select('attached_at').where('id', '=', id).executeTakeFirstOrThrow()).attached_at;

  it('attaches the caller’s uploads inside a transaction', async () => {
    const a = await store(t.adminId);
    const b = await store(t.adminId);
    await z.handle.db.transaction().execute((tx) => attachFiles(tx, [a.id, b.id.toUpperCase()], { field: 'photos', createdBy: t.adminId }));
    expect(await attachedAt(a.id)).toBeInstanceOf(Date);
    expect(await attachedAt(b.id)).toBeInstanceOf(Date);
    await attachFiles(z.handle.db, [], { field: 'photos' });
  });

  it('rejects unknown, already attached, repeated and someone else’s photos, naming the index', async () => {
    const used = await store(t.adminId);
    await attachFiles(z.handle.db, [used.id], { field: 'photos' });
    const mine = await store(t.adminId);
    const theirs = await store(t.workerId);
    const anonymous = await store(null);

    const one = async (ids: string[], createdBy?: string | null) =>
      rejects(z.handle.db.transaction().execute((tx) => attachFiles(tx, ids, { field: 'photos', createdBy })));
    const unknown = await one([mine.id, crypto.randomUUID()], t.adminId);
    expect(unknown.details).toEqual([{ field: 'photos.1', message: 'unknown or already used photo' }]);
    expect(unknown.message).toBe('photos.1: unknown or already used photo');
    expect((await one([used.id])).details).toEqual([{ field: 'photos.0', message: 'unknown or already used photo' }]);
    expect((await one([mine.id, 'not-a-uuid'])).details).toEqual([{ field: 'photos.1', message: 'unknown or already used photo' }]);
    expect((await one([theirs.id], t.adminId)).details).toEqual([{ field: 'photos.0', message: 'unknown or already used photo' }]);
    // A resident without an account (createdBy null) may attach anonymous uploads only.
    expect((await one([anonymous.id, mine.id], null)).details).toEqual([{ field: 'photos.1', message: 'unknown or already used photo' }]);
    const several = await one([mine.id, mine.id, used.id]);
    expect(several.details).toEqual([
      { field: 'photos.1', message: 'unknown or already used photo' },
      { field: 'photos.2', message: 'unknown or already used photo' },
    ]);
    // Every rejection rolled back: nothing got attached.
    for (const f of [mine, theirs, anonymous]) expect(await attachedAt(f.id)).toBeNull();

    // Given the bare database, it opens its own transaction: all or nothing as well.
    expect((await rejects(attachFiles(z.handle.db, [mine.id, used.id], { field: 'photoIds' }))).details).toEqual([
      { field: 'photoIds.1', message: 'unknown or already used photo' },
    ]);
    expect(await attachedAt(mine.id)).toBeNull();

    await attachFiles(z.handle.db, [anonymous.id], { field: 'photos', createdBy: null });
    await attachFiles(z.handle.db, [theirs.id], { field: 'photos', createdBy: t.workerId });
    expect(await attachedAt(anonymous.id)).toBeInstanceOf(Date);
  });
});

describe('deleteUnattachedFiles', () => {
  it('removes only unattached uploads older than the cut-off', async () => {
    const db = z.handle.db;
    const oldLoose = await storePhoto(db, jpegGps, { createdBy: t.workerId, maxBytes: MB });
    const oldLoose2 = await storePhoto(db, pngGps, { createdBy: null, maxBytes: MB });
    const oldKept = await storePhoto(db, jpegGps, { createdBy: t.workerId, maxBytes: MB });
    const fresh = await storePhoto(db, jpegGps, { createdBy: t.workerId, maxBytes: MB });
    await attachFiles(db, [oldKept.id], { field: 'photos' });
    // Far in the past, so that the cut-off touches no other test's uploads.
    const longAgo = new Date('2000-06-01T00:00:00Z');
    await db.updateTable('files').set({ created_at: longAgo } as never).where('id', 'in', [oldLoose.id, oldLoose2.id, oldKept.id]).execute();

    const deleted = await deleteUnattachedFiles(db, new Date('2001-01-01T00:00:00Z'));
    expect(deleted).toBeGreaterThanOrEqual(2);
    expect(await readFile(db, oldLoose.id, 'original')).toBeUndefined();
    expect(await readFile(db, oldLoose2.id, 'public')).toBeUndefined();
    expect(await readFile(db, oldKept.id, 'original')).toBeDefined();
    expect(await readFile(db, fresh.id, 'original')).toBeDefined();
    expect(await deleteUnattachedFiles(db, new Date('2001-01-01T00:00:00Z'))).toBe(0);
  });
});

describe('POST /api/v1/files/photos', () => {
  it('stores a signed-in user’s photo: 201 with the stored file, created_by = the user', async () => {
    const res = await upload(worker, jpegGps);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({ id: expect.any(String), mime: 'image/jpeg', size: jpegGps.length, width: 40, height: 30, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const row = await z.handle.db.selectFrom('files').select(['created_by', 'attached_at']).where('id', '=', body.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ created_by: t.workerId, attached_at: null });
  });

  it('goes by the bytes, not the declared type', async () => {
    const png = await upload(admin, pngGps, 'image/jpeg');
    expect(png.statusCode).toBe(201);
    expect(png.json().mime).toBe('image/png');
    const webp = await upload(admin, webpGps, 'application/octet-stream');
    expect(webp.statusCode).toBe(201);
    expect(webp.json().mime).toBe('image/webp');
    expect((await upload(admin, jpegGps, 'image/heic')).statusCode).toBe(201);
    expect((await upload(admin, jpegGps, 'application/octet-stream; charset=binary')).statusCode).toBe(201);
  });

  it('answers 400 naming the field for a text file sent as a JPEG, and for a truncated JPEG', async () => {
    const res = await upload(admin, text, 'image/jpeg');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'validation_failed', details: [{ field: 'body', message: expect.stringContaining('image/jpeg, image/png, image/webp') }] });
    const cut = await upload(admin, truncated);
    expect(cut.statusCode).toBe(400);
    expect(cut.json().error.details[0].field).toBe('body');
    const empty = await upload(admin, Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.details).toEqual([{ field: 'body', message: 'the photo is empty' }]);
  });

  it('answers 415 for a JSON or form body', async () => {
    const json = await admin.post('/api/v1/files/photos', { photo: 'x' });
    expect(json.statusCode).toBe(415);
    expect(json.json().error.code).toBe('unsupported_media_type');
    expect((await upload(admin, Buffer.from('a=b'), 'application/x-www-form-urlencoded')).statusCode).toBe(415);
  });

  it('answers 401 without a session', async () => {
    const res = await z.app.inject({ method: 'POST', url: '/api/v1/files/photos', headers: { 'content-type': 'image/jpeg' }, payload: jpegGps });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('unauthenticated');
  });

  it('answers 413 above the upload limit', async () => {
    const res = await tight.inject({
      method: 'POST',
      url: '/api/v1/files/photos',
      headers: { 'content-type': 'image/jpeg', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
      payload: Buffer.concat([jpegGps, Buffer.alloc(5000)]),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
  });

  it('leaves the other routes’ body parsing alone', async () => {
    // A JSON route of the same app knows no image parser.
    const res = await admin.raw({ method: 'PATCH', url: `/api/v1/grids/${t.gridId}`, body: jpegGps, headers: { 'content-type': 'image/jpeg' } });
    expect(res.statusCode).toBe(415);
  });

  it('is described in the OpenAPI document under the tag files', async () => {
    const doc = (await z.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    expect(doc.paths['/api/v1/files/photos'].post.tags).toEqual(['files']);
    expect(doc.paths['/api/v1/public/photos'].post.responses['201']).toBeDefined();
  });
});

describe('POST /api/v1/public/photos', () => {
  it('stores a resident’s photo without an account, created_by null', async () => {
    const res = await publicUpload(z.app, jpegGps);
    expect(res.statusCode).toBe(201);
    const row = await z.handle.db.selectFrom('files').select('created_by').where('id', '=', res.json().id).executeTakeFirstOrThrow();
    expect(row.created_by).toBeNull();
    expect(res.headers['x-ratelimit-limit']).toBe(String(testConfig().PUBLIC_UPLOADS_PER_MINUTE));
    const bad = await publicUpload(z.app, text, 'image/png');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('body');
  });

  it('is rate-limited per IP: 429 in the API’s error shape, other routes unaffected', async () => {
    expect((await publicUpload(tight, jpegGps)).statusCode).toBe(201);
    expect((await publicUpload(tight, text)).statusCode).toBe(400);
    const res = await publicUpload(tight, jpegGps);
    expect(res.statusCode).toBe(429);
    const body = res.json();
    expect(body).toEqual({
      error: { code: 'too_many_requests', message: expect.stringContaining('too many uploads'), details: { retryAfterSeconds: expect.any(Number) }, requestId: expect.any(String) },
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Another client address has its own budget.
    const other = await tight.inject({ method: 'POST', url: '/api/v1/public/photos', remoteAddress: '10.1.2.3', headers: { 'content-type': 'image/jpeg' }, payload: jpegGps });
    expect(other.statusCode).toBe(201);
    // The signed-in upload route has no such limit.
    for (let i = 0; i < 3; i++) {
      const res = await tight.inject({
        method: 'POST',
        url: '/api/v1/files/photos',
        headers: { 'content-type': 'image/jpeg', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
        payload: jpegGps,
      });
      expect(res.statusCode).toBe(201);
    }
  });
});
