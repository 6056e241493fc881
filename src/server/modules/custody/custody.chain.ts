/**
 * Tamper evidence: the per-item SHA-256 hash chain and the Ed25519-signed checkpoints that
 * seal the chain heads. Pure functions (node:crypto only); the service stores and loads.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import canonicalize from 'canonicalize';
import type { CustodyEvent } from './custody.model.js';

/** prev_hash of an item's first event. */
export const GENESIS = '0'.repeat(64);

/**
 * The hash of an event: SHA-256 over the previous hash and the RFC 8785 canonical JSON of
 * every recorded column, so any edit of a column, a changed order or a removed event breaks
 * the chain.
 */
export function eventHash(prevHash: string, e: CustodyEvent): string {
  return crypto.createHash('sha256').update(prevHash).update('\n').update(canonicalEvent(e)).digest('hex');
}

/** The bytes an event's hash covers after the previous hash: RFC 8785 JSON of every recorded column. */
export function canonicalEvent(e: CustodyEvent): string {
  return (
    canonicalize({
      item: e.itemId,
      seq: e.seq,
      type: e.type,
      at: e.at,
      recordedAt: e.recordedAt,
      actor: e.actorId,
      actorName: e.actorName,
      actorOrg: e.actorOrgId,
      witness: e.witnessId,
      witnessName: e.witnessName,
      corrects: e.correctsSeq,
      data: e.data,
    }) ?? ''
  );
}

export interface ChainProblem {
  itemId: string;
  seq: number | null;
  problem: string;
}

/**
 * Checks one item's events (as stored, ordered by seq): gapless from 1, each prev_hash the
 * previous hash, each hash recomputed. Returns every problem found.
 */
export function checkChain(itemId: string, events: readonly (CustodyEvent & { prevHash: string; hash: string })[]): ChainProblem[] {
  const problems: ChainProblem[] = [];
  let prev = GENESIS;
  let expected = 1;
  for (const e of events) {
    if (e.seq !== expected) problems.push({ itemId, seq: e.seq, problem: e.seq > expected ? `events ${expected}–${e.seq - 1} are missing` : `sequence number ${e.seq} out of order` });
    if (e.prevHash !== prev) problems.push({ itemId, seq: e.seq, problem: 'prev_hash does not match the previous event' });
    if (eventHash(e.prevHash, e) !== e.hash) problems.push({ itemId, seq: e.seq, problem: 'hash does not match the event (edited)' });
    prev = e.hash;
    expected = e.seq + 1;
  }
  return problems;
}

export interface CheckpointHead {
  itemId: string;
  seq: number;
  hash: string;
}

/** The digest of a checkpoint: the previous digest and its heads in item order. */
export function checkpointDigest(prevDigest: string, heads: readonly CheckpointHead[]): string {
  const h = crypto.createHash('sha256').update(prevDigest).update('\n');
  for (const x of [...heads].sort((a, b) => (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0))) h.update(`${x.itemId}:${x.seq}:${x.hash}\n`);
  return h.digest('hex');
}

/** The bytes a checkpoint signature covers. */
export function checkpointMessage(c: { no: number; at: string; prevDigest: string; digest: string; headCount: number }): Buffer {
  return Buffer.from(canonicalize({ no: c.no, at: c.at, prevDigest: c.prevDigest, digest: c.digest, headCount: c.headCount }) ?? '', 'utf8');
}

export interface SigningKey {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  /** First 16 hex digits of the SHA-256 of the raw public key. */
  keyId: string;
}

/** A signing key from configuration: base64 (or hex) of a 32-byte Ed25519 seed, or a PKCS#8 PEM. */
export function signingKeyFrom(value: string): SigningKey {
  let privateKey: crypto.KeyObject;
  const v = value.trim();
  if (v.startsWith('-----BEGIN')) privateKey = crypto.createPrivateKey(v);
  else {
    const seed = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
    if (seed.length !== 32) throw new Error('CUSTODY_SIGNING_KEY must be a 32-byte Ed25519 seed (base64 or hex) or a PKCS#8 PEM');
    // PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
    const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]);
    privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('CUSTODY_SIGNING_KEY is not an Ed25519 key');
  const publicKey = crypto.createPublicKey(privateKey);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey, publicKey, keyId: crypto.createHash('sha256').update(raw).digest('hex').slice(0, 16) };
}

/**
 * The configured key, or — for the embedded default — a key generated once into the data
 * directory (mode 0600). Production deployments set CUSTODY_SIGNING_KEY and keep it away
 * from the database: whoever can rewrite the tables must not be able to re-sign them.
 */
export function loadSigningKey(configured: string | undefined, dataDir: string): SigningKey {
  if (configured) return signingKeyFrom(configured);
  const file = path.join(dataDir, 'custody-signing.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return signingKeyFrom(fs.readFileSync(file, 'utf8'));
}

export function signCheckpoint(key: SigningKey, message: Buffer): string {
  return crypto.sign(null, message, key.privateKey).toString('base64');
}

export function verifyCheckpointSignature(key: SigningKey, message: Buffer, signature: string): boolean {
  try {
    return crypto.verify(null, message, key.publicKey, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
