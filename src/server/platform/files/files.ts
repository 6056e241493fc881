import crypto from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Metadata } from 'sharp';
import type { DbOrTx } from '../../db.js';
import { AppError, invalid } from '../http/errors.js';

/**
 * Stored photos of case reports. The type is decided by the bytes (magic numbers, then a
 * decode), never by the file name or the declared Content-Type. Each upload keeps its
 * original (evidence, for staff) and a public copy: auto-rotated, downscaled, re-encoded,
 * with every piece of metadata — above all the EXIF GPS position — removed.
 *
 * HEIC (iPhone) is not accepted: sharp's prebuilt libvips ships libheif with the AV1 codec
 * only (AVIF), not the patent-encumbered HEVC decoder, so it cannot decode HEIC. Clients
 * convert to JPEG before uploading (iOS does so for <input type="file"> by default).
 */
export const PHOTO_MIME = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type PhotoMime = (typeof PHOTO_MIME)[number];

export interface StoredFile {
  id: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  sha256: string;
}

/** Decompression-bomb guard: no image above 50 megapixels is decoded. */
export const MAX_INPUT_PIXELS = 50_000_000;
/** Longest side of the public copy. */
export const PUBLIC_MAX_SIDE = 2048;
const PUBLIC_QUALITY = 82;

/** The sharp format name that must agree with the detected MIME type. */
const SHARP_FORMAT: Record<PhotoMime, string> = { 'image/jpeg': 'jpeg', 'image/png': 'png', 'image/webp': 'webp' };
const ACCEPTED = PHOTO_MIME.join(', ');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Abort on truncated or corrupt pixel data, but tolerate the benign libjpeg warnings some
 * phone cameras trigger ("extraneous bytes before marker"), which 'warning' would reject.
 */
const SHARP_INPUT = { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS } as const;

function isPhotoMime(mime: string): mime is PhotoMime {
  return (PHOTO_MIME as readonly string[]).includes(mime);
}

interface Inspected {
  mime: PhotoMime;
  /** As displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  height: number;
  hasExif: boolean;
}

async function inspect(bytes: Buffer, opts: { maxBytes: number; field: string }, decode: boolean): Promise<Inspected> {
  const { field } = opts;
  if (!bytes || bytes.length === 0) throw invalid(field, 'the photo is empty');
  if (bytes.length > opts.maxBytes) {
    throw new AppError('payload_too_large', `${field}: the photo is larger than ${opts.maxBytes} bytes`, [{ field, message: `at most ${opts.maxBytes} bytes` }]);
  }
  const detected = await fileTypeFromBuffer(bytes);
  if (!detected) throw invalid(field, `not an image; accepted types: ${ACCEPTED}`);
  if (!isPhotoMime(detected.mime)) throw invalid(field, `unsupported type ${detected.mime}; accepted types: ${ACCEPTED}`);
  const mime = detected.mime;
  let meta: Metadata;
  try {
    // Reads the header only; the pixel limit is checked below, with a clear message.
    meta = await sharp(bytes, { ...SHARP_INPUT, limitInputPixels: false }).metadata();
  } catch {
    throw invalid(field, 'the image is corrupt or cannot be decoded');
  }
  if (meta.format !== SHARP_FORMAT[mime] || !meta.width || !meta.height) throw invalid(field, 'the image is corrupt or cannot be decoded');
  // The header is enough to refuse a decompression bomb before any pixel is decoded.
  if (meta.width * meta.height > MAX_INPUT_PIXELS) {
    throw invalid(field, `the image has ${meta.width}×${meta.height} pixels; at most ${MAX_INPUT_PIXELS / 1_000_000} megapixels`);
  }
  if (decode) {
    // Headers can be intact over truncated or corrupt pixel data: decode all of it (at a
    // reduced scale where the format allows, which still reads every byte).
    try {
      await sharp(bytes, SHARP_INPUT).resize({ width: 64, height: 64, fit: 'inside' }).raw().toBuffer();
    } catch {
      throw invalid(field, 'the image is corrupt or cannot be decoded');
    }
  }
  return { mime, width: meta.autoOrient.width, height: meta.autoOrient.height, hasExif: !!meta.exif };
}

/**
 * Detects the real type with file-type, decodes the image with sharp (rejecting corrupt
 * or truncated images and decompression bombs above MAX_INPUT_PIXELS). Throws
 * invalid(field, …) for an empty body, a non-image or an unsupported type (the message
 * lists the accepted types), and AppError('payload_too_large') above maxBytes.
 * width/height are as displayed (after EXIF orientation).
 */
export async function inspectPhoto(bytes: Buffer, opts: { maxBytes: number; field: string }): Promise<{ mime: string; width: number; height: number; hasExif: boolean }> {
  return inspect(bytes, opts, true);
}

/** The copy shown to the public: rotated upright, at most PUBLIC_MAX_SIDE, no metadata. */
async function publicCopy(bytes: Buffer, mime: PhotoMime, field: string): Promise<Buffer> {
  // sharp writes no metadata (EXIF, XMP, IPTC, ICC, PNG text) unless keepMetadata()/
  // withMetadata() is called; an embedded colour profile is converted to sRGB first.
  const pipeline = sharp(bytes, { ...SHARP_INPUT, autoOrient: true }).resize({
    width: PUBLIC_MAX_SIDE,
    height: PUBLIC_MAX_SIDE,
    fit: 'inside',
    withoutEnlargement: true,
  });
  try {
    if (mime === 'image/png') return await pipeline.png().toBuffer();
    if (mime === 'image/webp') return await pipeline.webp({ quality: PUBLIC_QUALITY }).toBuffer();
    return await pipeline.jpeg({ quality: PUBLIC_QUALITY }).toBuffer();
  } catch {
    throw invalid(field, 'the image is corrupt or cannot be decoded');
  }
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/**
 * Inspects the photo, then stores the original and the public copy (auto-rotated by EXIF
 * orientation, metadata stripped, longest side ≤ 2048 px, JPEG quality 82 — PNG and WebP
 * stay PNG and WebP). The upload stays unattached until attachFiles(); unattached uploads
 * are removed by deleteUnattachedFiles(). width/height/sha256 describe the original.
 */
export async function storePhoto(db: DbOrTx, bytes: Buffer, opts: { createdBy: string | null; maxBytes: number; field?: string }): Promise<StoredFile> {
  const field = opts.field ?? 'body';
  const info = await inspect(bytes, { maxBytes: opts.maxBytes, field }, false);
  // Re-encoding decodes every pixel, so it also rejects truncated or corrupt data.
  const pub = await publicCopy(bytes, info.mime, field);
  const row = await db
    .insertInto('files')
    .values({
      sha256: sha256(bytes),
      mime: info.mime,
      size: bytes.length,
      width: info.width,
      height: info.height,
      bytes,
      public_mime: info.mime,
      public_bytes: pub,
      created_by: opts.createdBy,
    })
    .returning(['id', 'mime', 'size', 'width', 'height', 'sha256'])
    .executeTakeFirstOrThrow();
  return row;
}

/**
 * Marks uploads as attached, so that clean-up keeps them. Throws
 * invalid(`${field}.${i}`, 'unknown or already used photo') — one problem per offending
 * index — for ids that do not exist, are already attached, are repeated, or (when
 * createdBy is given; null = uploaded without an account) were uploaded by someone else.
 * Use inside the caller's transaction so that a rejection attaches nothing; given a bare
 * database it opens its own.
 */
export async function attachFiles(tx: DbOrTx, ids: string[], opts: { field: string; createdBy?: string | null }): Promise<void> {
  if (ids.length === 0) return;
  if (!tx.isTransaction) {
    await tx.transaction().execute((t) => attachFiles(t, ids, opts));
    return;
  }
  const wellFormed = [...new Set(ids.filter((id) => UUID.test(id)).map((id) => id.toLowerCase()))];
  const attached = new Set<string>();
  if (wellFormed.length) {
    let q = tx.updateTable('files').set({ attached_at: new Date() }).where('id', 'in', wellFormed).where('attached_at', 'is', null);
    if (opts.createdBy !== undefined) q = opts.createdBy === null ? q.where('created_by', 'is', null) : q.where('created_by', '=', opts.createdBy);
    // Concurrent attachers of one id serialise on its row lock; the loser sees it attached.
    for (const r of await q.returning('id').execute()) attached.add(r.id);
  }
  const seen = new Set<string>();
  const problems: { field: string; message: string }[] = [];
  ids.forEach((raw, i) => {
    const id = raw.toLowerCase();
    if (!attached.has(id) || seen.has(id)) problems.push({ field: `${opts.field}.${i}`, message: 'unknown or already used photo' });
    seen.add(id);
  });
  if (problems.length === 1) throw invalid(problems[0].field, problems[0].message);
  if (problems.length > 1) throw new AppError('validation_failed', problems.map((p) => `${p.field}: ${p.message}`).join('; '), problems);
}

/**
 * The bytes of a file: the original, or the public copy (falling back to the original for
 * a row stored without one, which by the schema means there was nothing to strip).
 * sha256 is of the bytes returned, usable as an ETag. No access control: callers check.
 */
export async function readFile(db: DbOrTx, id: string, variant: 'original' | 'public'): Promise<{ mime: string; bytes: Buffer; sha256: string } | undefined> {
  if (!UUID.test(id)) return undefined;
  if (variant === 'original') {
    const row = await db.selectFrom('files').select(['mime', 'bytes', 'sha256']).where('id', '=', id).executeTakeFirst();
    return row && { mime: row.mime, bytes: toBuffer(row.bytes), sha256: row.sha256 };
  }
  const row = await db.selectFrom('files').select(['mime', 'bytes', 'sha256', 'public_mime', 'public_bytes']).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  if (row.public_bytes == null) return { mime: row.mime, bytes: toBuffer(row.bytes), sha256: row.sha256 };
  const bytes = toBuffer(row.public_bytes);
  return { mime: row.public_mime ?? row.mime, bytes, sha256: sha256(bytes) };
}

/** node-postgres gives bytea as Buffer, PGlite as Uint8Array. */
function toBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Deletes unattached uploads created before the cut-off; returns how many. */
export async function deleteUnattachedFiles(db: DbOrTx, olderThan: Date): Promise<number> {
  const r = await db.deleteFrom('files').where('attached_at', 'is', null).where('created_at', '<', olderThan).executeTakeFirst();
  return Number(r.numDeletedRows);
}
