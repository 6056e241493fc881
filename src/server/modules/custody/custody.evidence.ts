/**
 * Digital evidence (证据通) and remote display (远程示证). Files arrive over tus; the server
 * re-hashes each one and records the result on the item's hash chain (a mismatch is refused
 * and recorded too). Downloads are audited; a file can be shared with another agency until a
 * time; a display session is an expiring read-only link for one named viewer, its photos
 * watermarked with the viewer's name and the time, every view audited.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Db } from '../../db.js';
import { recordAudit } from '../../platform/audit/audit.js';
import { readFile } from '../../platform/files/files.js';
import type { ActorContext, RequestContext } from '../../platform/http/context.js';
import { can } from '../../platform/http/context.js';
import { AppError, conflict, invalid, notFound } from '../../platform/http/errors.js';
import type { TusHooks } from '../../platform/uploads/tus.js';
import { requirePermission } from '../core/index.js';
import type { ItemState } from './custody.model.js';
import * as repo from './custody.repository.js';
import type { CustodyService } from './custody.service.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_SHARE_DAYS = 90;
const MAX_DISPLAY_DAYS = 7;

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

/** A byte range of a file for HTTP 206 answers (video seeking). */
export interface FileSlice {
  path: string;
  mime: string;
  size: number;
  filename: string;
  start: number;
  end: number;
  partial: boolean;
}

function slice(file: { storage_path: string; mime: string; size: string | number; filename: string }, range: string | undefined): FileSlice {
  const size = Number(file.size);
  let start = 0;
  let end = size - 1;
  let partial = false;
  const m = range ? /^bytes=(\d*)-(\d*)$/.exec(range.trim()) : null;
  if (m && (m[1] || m[2])) {
    if (m[1]) {
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    } else {
      start = Math.max(0, size - Number(m[2]));
    }
    if (start > end || start >= size) throw new AppError('bad_request', `range ${range} is outside the file (${size} bytes)`);
    partial = true;
  }
  return { path: file.storage_path, mime: file.mime, size, filename: file.filename, start, end, partial };
}

export function createEvidenceService(deps: { db: Db; custody: CustodyService; dir: string }) {
  const { db, custody } = deps;
  const { visibleItem, actsFor, scopeOf, appendRecorded } = custody.internal;

  function mayAdd(ctx: ActorContext) {
    if (!can(ctx.actor, 'custody.register') && !can(ctx.actor, 'custody.keep')) throw notFound('item');
  }

  /** The tus hooks: who may upload to which item, and what happens when the last byte arrives. */
  const tusHooks: TusHooks = {
    async onCreate(ctx, upload) {
      mayAdd(ctx);
      const m = upload.metadata;
      if (!m.itemId || !UUID.test(m.itemId)) throw invalid('metadata.itemId', 'the item the file belongs to');
      await visibleItem(ctx, m.itemId.toLowerCase());
      if (!m.filename?.trim() || m.filename.length > 200) throw invalid('metadata.filename', 'a file name of 1–200 characters');
      if (!m.sha256 || !SHA256_HEX.test(m.sha256.toLowerCase())) throw invalid('metadata.sha256', 'the SHA-256 of the file, 64 hex digits');
      if (upload.size === undefined) throw invalid('Upload-Length', 'the size must be declared');
    },
    async onFinish(ctx, upload) {
      const itemId = upload.metadata.itemId!.toLowerCase();
      const declared = upload.metadata.sha256!.toLowerCase();
      const filename = upload.metadata.filename!.trim();
      const mime = (upload.metadata.filetype || 'application/octet-stream').slice(0, 100);
      if (upload.sha256 !== declared) {
        await db.transaction().execute((tx) => appendRecorded(tx, ctx, itemId, 'evidence_rejected', { filename, size: upload.size, declared, computed: upload.sha256 }));
        fs.rmSync(upload.path, { force: true });
        throw conflict(`checksum mismatch: the file's SHA-256 is ${upload.sha256}, the client declared ${declared}; the file was refused and the refusal recorded`);
      }
      const evidenceId = crypto.randomUUID();
      const dest = path.join(deps.dir, itemId.slice(0, 2), itemId, evidenceId);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      try {
        fs.renameSync(upload.path, dest);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        fs.copyFileSync(upload.path, dest);
        fs.rmSync(upload.path, { force: true });
      }
      try {
        const ev = await db.transaction().execute(async (tx) => {
          const e = await appendRecorded(tx, ctx, itemId, 'evidence_added', { evidenceId, filename, mime, size: upload.size, sha256: upload.sha256 });
          await repo.insertEvidence(tx, { id: evidenceId, item_id: itemId, seq: e.seq, filename, mime, size: upload.size, sha256: upload.sha256, storage_path: dest, uploaded_by: ctx.actor.userId });
          return e;
        });
        return { evidenceId, seq: ev.seq, sha256: upload.sha256, size: upload.size };
      } catch (e) {
        // Not recorded: the bytes go too, so nothing unaccounted for stays on disk.
        fs.rmSync(dest, { force: true });
        throw e;
      }
    },
  };

  async function listOfItem(ctx: ActorContext, itemId: string) {
    await visibleItem(ctx, itemId);
    const rows = await repo.evidenceOfItem(db, itemId);
    const now = new Date();
    return Promise.all(
      rows.map(async (r) => ({
        id: r.id,
        filename: r.filename,
        mime: r.mime,
        size: Number(r.size),
        sha256: r.sha256,
        seq: r.seq,
        uploader: { id: r.uploaded_by, name: r.uploader_name },
        createdAt: iso(r.created_at),
        shares: (await repo.liveSharesOf(db, r.id, now)).map((s) => ({ id: s.id, orgId: s.org_id, orgName: s.org_name, expiresAt: iso(s.expires_at) })),
      })),
    );
  }

  /** The file if the actor sees its item or an agency of theirs has a live share of it. */
  async function reachable(ctx: ActorContext, id: string) {
    requirePermission(ctx.actor, 'custody.read');
    const e = await repo.evidenceById(db, id);
    if (!e) throw notFound('evidence');
    const seen = await visibleItem(ctx, e.item_id).then(
      () => true,
      () => false,
    );
    if (seen) return e;
    const scope = await scopeOf(ctx);
    const shares = await repo.liveSharesOf(db, id, new Date());
    if (scope && shares.some((s) => scope.includes(s.org_id))) return e;
    throw notFound('evidence');
  }

  /** A download, audited before the first byte leaves. */
  async function download(ctx: ActorContext, id: string, range?: string): Promise<FileSlice> {
    const e = await reachable(ctx, id);
    const part = slice(e, range);
    if (!fs.existsSync(e.storage_path)) throw new AppError('unavailable', 'the evidence file is missing from storage');
    if (part.start === 0) {
      await db.transaction().execute((tx) => recordAudit(tx, ctx, { action: 'custody_evidence.downloaded', targetType: 'custody_evidence', targetId: id, after: { itemId: e.item_id, filename: e.filename, sha256: e.sha256, range: range ?? null } }));
    }
    return part;
  }

  async function share(ctx: ActorContext, id: string, input: { orgId: string; expiresAt: string }) {
    requirePermission(ctx.actor, 'custody.read');
    if (!can(ctx.actor, 'custody.transfer') && !can(ctx.actor, 'custody.register')) throw notFound('evidence');
    const e = await repo.evidenceById(db, id);
    if (!e) throw notFound('evidence');
    const item = await visibleItem(ctx, e.item_id);
    if (!(await actsFor(ctx, (item.state as ItemState).holderOrgId))) throw conflict('only the holding agency shares its evidence');
    const expires = new Date(input.expiresAt);
    if (Number.isNaN(expires.getTime()) || expires.getTime() <= Date.now() || expires.getTime() > Date.now() + MAX_SHARE_DAYS * 86_400_000) throw invalid('expiresAt', `in the future, within ${MAX_SHARE_DAYS} days`);
    const targets = await custody.transferTargets(ctx);
    if (!targets.some((t) => t.id === input.orgId)) throw invalid('orgId', 'an agency of the district');
    const r = await db.transaction().execute(async (tx) => {
      const s = await repo.insertShare(tx, { evidence_id: id, org_id: input.orgId, expires_at: expires, created_by: ctx.actor.userId });
      await recordAudit(tx, ctx, { action: 'custody_evidence.shared', targetType: 'custody_evidence', targetId: id, after: { orgId: input.orgId, expiresAt: expires.toISOString() } });
      return s;
    });
    return { id: r.id, orgId: input.orgId, expiresAt: expires.toISOString() };
  }

  /** Evidence shared with the actor's agencies and not yet expired. */
  async function sharedWithMe(ctx: ActorContext) {
    requirePermission(ctx.actor, 'custody.read');
    const scope = await scopeOf(ctx);
    let q = db
      .selectFrom('custody_evidence_shares as s')
      .innerJoin('custody_evidence as e', 'e.id', 's.evidence_id')
      .innerJoin('custody_items as i', 'i.id', 'e.item_id')
      .innerJoin('orgs as o', 'o.id', 's.org_id')
      .select(['e.id', 'e.filename', 'e.mime', 'e.size', 'e.sha256', 'i.code as item_code', 'i.name as item_name', 'o.name as org_name', 's.expires_at'])
      .where('s.revoked_at', 'is', null)
      .where('s.expires_at', '>', new Date());
    if (scope) q = q.where('s.org_id', 'in', scope.length ? scope : ['00000000-0000-0000-0000-000000000000']);
    return (await q.orderBy('s.created_at', 'desc').limit(200).execute()).map((r) => ({ id: r.id, filename: r.filename, mime: r.mime, size: Number(r.size), sha256: r.sha256, item: { code: r.item_code, name: r.item_name }, sharedWith: r.org_name, expiresAt: iso(r.expires_at) }));
  }

  // ---------------------------------------------------------------- remote display

  async function createDisplay(ctx: ActorContext, input: { title: string; viewerName: string; itemIds: string[]; expiresAt: string }) {
    requirePermission(ctx.actor, 'custody.display');
    const title = (input.title ?? '').trim();
    if (!title || title.length > 100) throw invalid('title', 'a title of 1–100 characters');
    const viewer = (input.viewerName ?? '').trim();
    if (!viewer || viewer.length > 60) throw invalid('viewerName', 'the viewer’s name, 1–60 characters');
    if (!Array.isArray(input.itemIds) || !input.itemIds.length || input.itemIds.length > 50) throw invalid('itemIds', '1–50 items');
    for (const [i, id] of input.itemIds.entries()) {
      if (!UUID.test(id)) throw invalid(`itemIds.${i}`, 'an item id');
      await visibleItem(ctx, id).catch(() => {
        throw invalid(`itemIds.${i}`, 'no such item');
      });
    }
    const expires = new Date(input.expiresAt);
    if (Number.isNaN(expires.getTime()) || expires.getTime() <= Date.now() || expires.getTime() > Date.now() + MAX_DISPLAY_DAYS * 86_400_000) throw invalid('expiresAt', `in the future, within ${MAX_DISPLAY_DAYS} days`);
    const token = crypto.randomBytes(24).toString('base64url');
    const r = await db.transaction().execute(async (tx) => {
      const d = await repo.insertDisplay(tx, { token_hash: sha256(token), title, viewer_name: viewer, item_ids: [...new Set(input.itemIds.map((x) => x.toLowerCase()))], created_by: ctx.actor.userId, org_id: ctx.actor.orgId, expires_at: expires });
      await recordAudit(tx, ctx, { action: 'custody_display.created', targetType: 'custody_display', targetId: d.id, after: { title, viewer, items: input.itemIds.length, expiresAt: expires.toISOString() } });
      return d;
    });
    return { id: r.id, token, url: `/display/${token}`, expiresAt: expires.toISOString() };
  }

  async function listDisplays(ctx: ActorContext) {
    requirePermission(ctx.actor, 'custody.display');
    const rows = await repo.displaysOf(db, null, await scopeOf(ctx));
    const now = Date.now();
    return rows.map((d) => ({ id: d.id, title: d.title, viewerName: d.viewer_name, itemCount: d.item_ids.length, createdAt: iso(d.created_at), expiresAt: iso(d.expires_at), revokedAt: iso(d.revoked_at), active: !d.revoked_at && new Date(d.expires_at).getTime() > now }));
  }

  async function revokeDisplay(ctx: ActorContext, id: string) {
    requirePermission(ctx.actor, 'custody.display');
    const scope = await scopeOf(ctx);
    const d = (await repo.displaysOf(db, null, scope)).find((x) => x.id === id);
    if (!d) throw notFound('display');
    if (d.revoked_at) throw conflict('the display link is already revoked');
    await db.transaction().execute(async (tx) => {
      await repo.revokeDisplay(tx, id);
      await recordAudit(tx, ctx, { action: 'custody_display.revoked', targetType: 'custody_display', targetId: id });
    });
  }

  /** A live display by its link token; 404 for unknown, expired or revoked links alike. */
  async function liveDisplay(token: string) {
    const d = await repo.displayByTokenHash(db, sha256(token));
    if (!d || d.revoked_at || new Date(d.expires_at).getTime() <= Date.now()) throw notFound('display');
    return d;
  }

  function watermarkText(d: { viewer_name: string }, at = new Date()) {
    return `${d.viewer_name} ${at.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })} 远程示证 仅供查看`;
  }

  /** The display page (read-only), every view audited with the viewer's name. */
  async function viewDisplay(ctx: RequestContext, token: string) {
    const d = await liveDisplay(token);
    await db.transaction().execute((tx) => recordAudit(tx, ctx, { action: 'custody_display.viewed', targetType: 'custody_display', targetId: d.id, after: { viewer: d.viewer_name, ip: ctx.ip } }));
    const rows = await Promise.all(d.item_ids.map((id) => repo.itemById(db, id)));
    const items = rows.filter((r): r is NonNullable<typeof r> => !!r);
    const presented = await custody.internal.presentItems(items);
    const base = `/api/v1/public/custody-display/${encodeURIComponent(token)}`;
    return {
      title: d.title,
      viewerName: d.viewer_name,
      expiresAt: iso(d.expires_at),
      watermark: watermarkText(d),
      items: await Promise.all(
        presented.map(async (i) => ({
          code: i.code,
          name: i.name,
          typeLabel: i.typeLabel,
          description: i.description,
          quantity: i.quantity,
          unit: i.unit,
          caseNumber: i.case.caseNumber,
          statusLabel: i.statusLabel,
          photos: i.photos.map((f) => ({ url: `${base}/photos/${f}` })),
          evidence: (await repo.evidenceOfItem(db, i.id))
            .filter((e) => e.mime.startsWith('image/') || e.mime.startsWith('video/'))
            .map((e) => ({ id: e.id, filename: e.filename, mime: e.mime, size: Number(e.size), url: `${base}/evidence/${e.id}` })),
        })),
      ),
    };
  }

  /** A photo of a displayed item, the watermark burnt in (name, time) so a screenshot carries it. */
  async function displayPhoto(ctx: RequestContext, token: string, fileId: string) {
    const d = await liveDisplay(token);
    const items = await Promise.all(d.item_ids.map((id) => repo.itemById(db, id)));
    if (!items.some((i) => i && (i.state as ItemState).photos.includes(fileId.toLowerCase()))) throw notFound('photo');
    const f = await readFile(db, fileId, 'original');
    if (!f) throw notFound('photo');
    const img = sharp(f.bytes).rotate();
    const meta = await img.metadata();
    const w = Math.min(meta.width ?? 1600, 1600);
    const resized = await img.resize({ width: w, withoutEnlargement: true }).toBuffer({ resolveWithObject: true });
    const { width, height } = resized.info;
    const text = watermarkText(d).replace(/[<>&"]/g, '');
    const size = Math.max(14, Math.round(width / 36));
    const rows: string[] = [];
    for (let y = size * 2; y < height + width; y += size * 6) rows.push(`<text x="${-width}" y="${y}" font-size="${size}" fill="white" fill-opacity="0.35" stroke="black" stroke-opacity="0.2" stroke-width="1" font-family="Noto Sans CJK SC, Noto Sans SC, sans-serif">${`${text}　　`.repeat(6)}</text>`);
    const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g transform="rotate(-25 ${width / 2} ${height / 2})">${rows.join('')}</g></svg>`);
    const out = await sharp(resized.data).composite([{ input: svg, top: 0, left: 0 }]).jpeg({ quality: 82 }).toBuffer();
    await db.transaction().execute((tx) => recordAudit(tx, ctx, { action: 'custody_display.viewed', targetType: 'custody_display', targetId: d.id, after: { viewer: d.viewer_name, photo: fileId } }));
    return out;
  }

  /** An image or video evidence file of a displayed item (ranges for seeking); the first byte of each view audited. */
  async function displayEvidence(ctx: RequestContext, token: string, evidenceId: string, range?: string): Promise<FileSlice> {
    const d = await liveDisplay(token);
    const e = await repo.evidenceById(db, evidenceId);
    if (!e || !d.item_ids.includes(e.item_id) || !(e.mime.startsWith('image/') || e.mime.startsWith('video/'))) throw notFound('evidence');
    const part = slice(e, range);
    if (part.start === 0) await db.transaction().execute((tx) => recordAudit(tx, ctx, { action: 'custody_display.viewed', targetType: 'custody_display', targetId: d.id, after: { viewer: d.viewer_name, evidence: evidenceId } }));
    return part;
  }

  return { tusHooks, listOfItem, download, share, sharedWithMe, createDisplay, listDisplays, revokeDisplay, viewDisplay, displayPhoto, displayEvidence };
}

export type EvidenceService = ReturnType<typeof createEvidenceService>;
