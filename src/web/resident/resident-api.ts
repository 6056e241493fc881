/**
 * The residents' side of the API: no account, no session. Every call here goes to
 * /api/v1/public/*. Requests are sent without cookies where the browser allows it, so a
 * resident's request is anonymous even on a computer where a staff member is signed in to
 * the console; the one exception (XMLHttpRequest always sends same-origin cookies) retries
 * once with the session's CSRF token.
 */
import type { FeatureCollection, Geometry } from 'geojson';

const BASE = '/api/v1/public';

// ---------------------------------------------------------------- shapes

export interface FieldProblem {
  field: string;
  message: string;
}

export interface Category {
  code: string;
  parentCode: string | null;
  name: string;
}

export interface Classification {
  categoryCode: string;
  categoryName: string;
  confidence: number;
  belowThreshold: boolean;
  alternatives: { categoryCode: string; categoryName: string; confidence: number }[];
}

export interface AddressSuggestion {
  fullText: string;
  lng: number;
  lat: number;
  confidence: number;
}

export interface PublicMapConfig {
  tileUrl: string | null;
  tileCoordSystem: 'wgs84' | 'gcj02';
  center: [number, number];
  zoom: number;
  bounds: [number, number, number, number];
}

export interface GridProps {
  name: string;
  community?: string | null;
  street?: string | null;
}

export type GridCollection = FeatureCollection<Geometry, GridProps>;

export interface ReportInput {
  description: string;
  categoryCode?: string | null;
  lng?: number | null;
  lat?: number | null;
  address?: string | null;
  name?: string | null;
  phone: string;
  photoIds?: string[];
}

export interface ReportCreated {
  trackingCode: string;
  number: string;
  statusUrl: string;
}

export interface UploadedPhoto {
  id: string;
  mime: string;
  size: number;
  width: number | null;
  height: number | null;
  sha256: string;
}

export type ReportStatus = 'reported' | 'accepted' | 'registered' | 'dispatched' | 'handled' | 'verified' | 'closed' | 'suspended' | 'voided';
export type Rating = 'satisfied' | 'basically_satisfied' | 'dissatisfied';

export interface PublicStatus {
  trackingCode: string;
  number: string;
  status: ReportStatus;
  statusLabel: string;
  categoryName: string | null;
  area: string;
  deptName: string | null;
  createdAt: string;
  expectedAt: string | null;
  closedAt: string | null;
  resultNote: string | null;
  rating: Rating | string | null;
  canRate: boolean;
  timeline: { action: string; label: string; at: string }[];
  photos: { id: string; kind: 'report' | 'result'; url: string }[];
}

// ---------------------------------------------------------------- errors

/** An answer other than 2xx, or no answer at all (status 0). */
export class ResidentApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldProblem[] = [],
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ResidentApiError';
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
}

function errorFrom(status: number, body: unknown, retryAfterHeader: string | null): ResidentApiError {
  const e = (body as ErrorBody | null)?.error;
  const details = e?.details;
  const fields: FieldProblem[] = [];
  let retry: number | null = retryAfterHeader && /^\d+$/.test(retryAfterHeader) ? Number(retryAfterHeader) : null;
  if (Array.isArray(details)) {
    for (const d of details) {
      if (d && typeof d === 'object' && typeof (d as FieldProblem).field === 'string') {
        fields.push({ field: (d as FieldProblem).field, message: String((d as FieldProblem).message ?? '') });
      }
    }
  } else if (details && typeof details === 'object') {
    const r = (details as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof r === 'number') retry = r;
  }
  return new ResidentApiError(status, e?.code ?? `http_${status}`, e?.message ?? `HTTP ${status}`, fields, retry);
}

// ---------------------------------------------------------------- fetch

async function call<T>(path: string, init: { method?: string; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      // Anonymous on purpose: no session cookie, hence no CSRF check either.
      credentials: 'omit',
      signal: init.signal,
    });
  } catch (e) {
    if ((e as { name?: string })?.name === 'AbortError') throw e;
    throw new ResidentApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (!res.ok) throw errorFrom(res.status, body, res.headers.get('retry-after'));
  return body as T;
}

let categoriesPromise: Promise<Category[]> | null = null;
let mapConfigPromise: Promise<PublicMapConfig> | null = null;
let gridsPromise: Promise<GridCollection> | null = null;

/** Caches a GET for the page's lifetime; a failure is forgotten so the next call retries. */
function once<T>(get: () => Promise<T> | null, set: (p: Promise<T> | null) => void, load: () => Promise<T>): Promise<T> {
  let p = get();
  if (!p) {
    p = load().catch((e: unknown) => {
      set(null);
      throw e;
    });
    set(p);
  }
  return p;
}

export const residentApi = {
  categories: () =>
    once(
      () => categoriesPromise,
      (p) => (categoriesPromise = p),
      () => call<Category[]>('/categories'),
    ),
  classify: (text: string, signal?: AbortSignal) => call<Classification>('/classify', { method: 'POST', body: { text }, signal }),
  addressMatch: (q: string, signal?: AbortSignal) => call<AddressSuggestion[]>(`/address-match?q=${encodeURIComponent(q)}`, { signal }),
  mapConfig: () =>
    once(
      () => mapConfigPromise,
      (p) => (mapConfigPromise = p),
      () => call<PublicMapConfig>('/map-config'),
    ),
  grids: () =>
    once(
      () => gridsPromise,
      (p) => (gridsPromise = p),
      () => call<GridCollection>('/grids.geojson'),
    ),
  createReport: (input: ReportInput) => call<ReportCreated>('/reports', { method: 'POST', body: input }),
  status: (code: string, signal?: AbortSignal) => call<PublicStatus>(`/reports/${encodeURIComponent(normalizeCode(code))}`, { signal }),
  rate: (code: string, rating: Rating, comment?: string | null) =>
    call<{ rating: Rating; reopened: boolean }>(`/reports/${encodeURIComponent(normalizeCode(code))}/rating`, {
      method: 'POST',
      body: { rating, comment: comment?.trim() || null },
    }),
};

/** Tracking codes are printed upper-case; residents type them any way. */
export function normalizeCode(code: string): string {
  return code.replace(/\s+/g, '').toUpperCase();
}

// ---------------------------------------------------------------- photo upload

export interface UploadHandle {
  promise: Promise<UploadedPhoto>;
  abort: () => void;
}

let csrfToken: string | null = null;

/** The console session's CSRF token, for the rare resident page opened next to a signed-in console. */
async function fetchCsrfToken(): Promise<string | null> {
  try {
    const res = await fetch('/api/v1/auth/me', { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!res.ok) return null;
    const body = (await res.json()) as { csrfToken?: string | null };
    return body.csrfToken ?? null;
  } catch {
    return null;
  }
}

/**
 * Uploads one photo with XMLHttpRequest so that progress can be shown (fetch has no upload
 * progress). onProgress receives 0..1.
 */
export function uploadPhoto(blob: Blob, onProgress: (fraction: number) => void): UploadHandle {
  let xhr: XMLHttpRequest | null = null;
  let aborted = false;
  const send = (token: string | null) =>
    new Promise<UploadedPhoto>((resolve, reject) => {
      const x = new XMLHttpRequest();
      xhr = x;
      x.open('POST', `${BASE}/photos`);
      x.setRequestHeader('content-type', blob.type || 'application/octet-stream');
      x.setRequestHeader('accept', 'application/json');
      if (token) x.setRequestHeader('x-csrf-token', token);
      x.upload.onprogress = (ev) => {
        if (ev.lengthComputable && ev.total > 0) onProgress(Math.min(1, ev.loaded / ev.total));
      };
      x.onload = () => {
        let body: unknown = null;
        try {
          body = x.responseText ? JSON.parse(x.responseText) : null;
        } catch {
          body = null;
        }
        if (x.status >= 200 && x.status < 300) {
          onProgress(1);
          resolve(body as UploadedPhoto);
        } else reject(errorFrom(x.status, body, x.getResponseHeader('retry-after')));
      };
      x.onerror = () => reject(new ResidentApiError(0, 'network', 'network error'));
      x.onabort = () => reject(new ResidentApiError(0, 'aborted', 'aborted'));
      x.send(blob);
    });
  const promise = (async () => {
    try {
      return await send(csrfToken);
    } catch (e) {
      if (!aborted && e instanceof ResidentApiError && e.code === 'csrf_failed') {
        csrfToken = await fetchCsrfToken();
        return send(csrfToken);
      }
      throw e;
    }
  })();
  return {
    promise,
    abort: () => {
      aborted = true;
      xhr?.abort();
    },
  };
}

/** Longest side after downscaling, and the size under which a photo is sent as it is. */
export const PHOTO_MAX_SIDE = 2048;
const SEND_AS_IS_BYTES = 1_200_000;
export const PHOTO_LIMIT_BYTES = 15 * 1024 * 1024;

function loadImage(file: Blob): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('decode failed'));
    };
    img.src = url;
  });
}

/**
 * Makes a photo fit for a phone's data plan: big photos are redrawn as JPEG (quality 0.85,
 * longest side 2048 px, which also drops the EXIF position); small JPEG/PNG/WebP files go as
 * they are. Formats the browser cannot draw (rare) are sent unchanged for the server to judge.
 */
export async function preparePhoto(file: File): Promise<Blob> {
  const common = /^image\/(jpeg|png|webp)$/.test(file.type);
  let img: HTMLImageElement;
  try {
    img = await loadImage(file);
  } catch {
    return file;
  }
  const w = img.naturalWidth;
  const h = img.naturalHeight;
  const longest = Math.max(w, h);
  if (common && file.size <= SEND_AS_IS_BYTES && longest <= PHOTO_MAX_SIDE) return file;
  const scale = longest > PHOTO_MAX_SIDE ? PHOTO_MAX_SIDE / longest : 1;
  const cw = Math.max(1, Math.round(w * scale));
  const ch = Math.max(1, Math.round(h * scale));
  const canvas = document.createElement('canvas');
  canvas.width = cw;
  canvas.height = ch;
  const g = canvas.getContext('2d');
  if (!g) return file;
  // JPEG has no transparency: a transparent PNG would otherwise turn black.
  g.fillStyle = '#fff';
  g.fillRect(0, 0, cw, ch);
  g.imageSmoothingQuality = 'high';
  g.drawImage(img, 0, 0, cw, ch);
  const out = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
  canvas.width = 0;
  canvas.height = 0;
  if (!out) return file;
  // Keep whichever is smaller when the original already was a modest JPEG.
  return common && out.size >= file.size && longest <= PHOTO_MAX_SIDE ? file : out;
}

// ---------------------------------------------------------------- this device's reports

const MINE_KEY = 'zhian.myReports';

export interface MyReport {
  code: string;
  number: string;
  at: string;
  summary: string;
}

/** Tracking codes filed from this browser, newest first (nothing personal: code, number, first words). */
export function myReports(): MyReport[] {
  try {
    const raw = localStorage.getItem(MINE_KEY);
    const list = raw ? (JSON.parse(raw) as MyReport[]) : [];
    return Array.isArray(list) ? list.filter((r) => r && typeof r.code === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberReport(r: MyReport): void {
  try {
    const list = [r, ...myReports().filter((x) => x.code !== r.code)].slice(0, 20);
    localStorage.setItem(MINE_KEY, JSON.stringify(list));
  } catch {
    /* storage blocked: the resident still has the code on screen */
  }
}

export function forgetReport(code: string): void {
  try {
    localStorage.setItem(MINE_KEY, JSON.stringify(myReports().filter((x) => x.code !== code)));
  } catch {
    /* ignore */
  }
}
