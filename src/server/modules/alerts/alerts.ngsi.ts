import { indicatorOf } from './alerts.gb3838.js';

/**
 * NGSI-LD (ETSI GS CIM 009) entities of the Smart Data Models WaterQualityObserved and
 * WaterConsumptionObserved, read into one observation of one device; and NGSI-LD's
 * ProblemDetails errors. Pure: no @context is fetched, so types and attribute names are
 * recognised by their short names or by the last segment of their expanded URIs.
 */

export const NGSI_ERROR_BASE = 'https://uri.etsi.org/ngsi-ld/errors/';

/** NGSI-LD error types and the HTTP status each maps to. */
export const NGSI_ERROR_STATUS = {
  InvalidRequest: 400,
  BadRequestData: 400,
  AlreadyExists: 409,
  OperationNotSupported: 422,
  ResourceNotFound: 404,
  InternalError: 500,
  TooComplexQuery: 403,
  TooManyResults: 403,
  LdContextNotAvailable: 503,
  NoMultiTenantSupport: 501,
  NonexistentTenant: 404,
} as const;
export type NgsiErrorType = keyof typeof NGSI_ERROR_STATUS;

const ERROR_TITLES: Record<NgsiErrorType, string> = {
  InvalidRequest: 'Invalid request',
  BadRequestData: 'Bad request data',
  AlreadyExists: 'Already exists',
  OperationNotSupported: 'Operation not supported',
  ResourceNotFound: 'Resource not found',
  InternalError: 'Internal error',
  TooComplexQuery: 'Too complex query',
  TooManyResults: 'Too many results',
  LdContextNotAvailable: 'LD context not available',
  NoMultiTenantSupport: 'No multi-tenant support',
  NonexistentTenant: 'Nonexistent tenant',
};

export class NgsiError extends Error {
  constructor(
    public status: number,
    /** The full error type URI, e.g. https://uri.etsi.org/ngsi-ld/errors/BadRequestData. */
    public type: string,
    public title: string,
    public detail: string,
  ) {
    super(detail);
    this.name = 'NgsiError';
  }
}

/** An NgsiError of a named NGSI-LD error type, with its status and title. */
export function ngsiError(type: NgsiErrorType, detail: string): NgsiError {
  return new NgsiError(NGSI_ERROR_STATUS[type], NGSI_ERROR_BASE + type, ERROR_TITLES[type], detail);
}

/** The RFC 7807 body NGSI-LD answers errors with (also an entry of a batch's errors). */
export function problemDetails(e: NgsiError, instance?: string): { type: string; title: string; status: number; detail: string; instance?: string } {
  return { type: e.type, title: e.title, status: e.status, detail: e.detail, ...(instance ? { instance } : {}) };
}

const bad = (detail: string) => ngsiError('BadRequestData', detail);

// ─── Types and names ──────────────────────────────────────────────────────────

export const SUPPORTED_TYPES = ['WaterQualityObserved', 'WaterConsumptionObserved'] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];

/** A term's short name: itself, or the last segment of an expanded URI (…/WaterQualityObserved, …#pH). */
function shortName(term: string): string {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(term)) return term;
  const cut = Math.max(term.lastIndexOf('/'), term.lastIndexOf('#'));
  if (cut >= 0) return term.slice(cut + 1);
  return term.slice(term.lastIndexOf(':') + 1);
}

function supportedTypeOf(type: string): SupportedType | null {
  const short = shortName(type);
  return (SUPPORTED_TYPES as readonly string[]).includes(short) ? (short as SupportedType) : null;
}

/** True for WaterQualityObserved and WaterConsumptionObserved, short or expanded. */
export function isSupportedType(type: string): boolean {
  return supportedTypeOf(type) !== null;
}

/** Absolute URI (RFC 3986 scheme ':' …), as NGSI-LD requires of entity ids. */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|\\^`]+$/;

// ─── Values ───────────────────────────────────────────────────────────────────

export interface NgsiObservation {
  entityId: string;
  entityType: SupportedType;
  deviceCode: string;
  observedAt: Date;
  /** Canonical keys: DO, CODMn, COD, BOD5, NH3N, TP, pH, temperature, turbidity, conductivity, waterConsumption; other numeric properties keep their (short) names. */
  values: Record<string, number>;
  location: { lng: number; lat: number } | null;
}

type Quantity = 'concentration' | 'volume' | 'temperature' | 'pH' | 'plain';

const OTHER_CANONICAL: Record<string, { key: string; quantity: Quantity }> = {
  pH: { key: 'pH', quantity: 'pH' },
  temperature: { key: 'temperature', quantity: 'temperature' },
  turbidity: { key: 'turbidity', quantity: 'plain' },
  conductivity: { key: 'conductivity', quantity: 'plain' },
  waterConsumption: { key: 'waterConsumption', quantity: 'volume' },
};

/** The canonical key of a property or measurand name, and what kind of quantity it is; null for names we do not know. */
function canonicalOf(name: string): { key: string; quantity: Quantity } | null {
  const ind = indicatorOf(name);
  if (ind) return { key: ind, quantity: 'concentration' };
  return Object.hasOwn(OTHER_CANONICAL, name) ? OTHER_CANONICAL[name]! : null;
}

/** Units by UN/CEFACT common code (as Smart Data Models use) or as people write them. */
const UNIT_FACTORS: Record<Exclude<Quantity, 'pH' | 'plain' | 'temperature'>, Record<string, number>> = {
  concentration: { M1: 1, 'mg/L': 1, 'mg/l': 1, GQ: 0.001, 'ug/L': 0.001, 'µg/L': 0.001, 'μg/L': 0.001, 'ug/l': 0.001, GL: 1000, 'g/L': 1000 },
  volume: { MTQ: 1, m3: 1, 'm³': 1, LTR: 0.001, L: 0.001, l: 0.001 },
};

/** A value in the unit we keep (mg/L, m³, °C); throws naming `where` for an unknown unit. */
function inOurUnit(quantity: Quantity, value: number, unit: string | undefined, where: string): number {
  if (unit === undefined || unit === '') return value;
  if (quantity === 'temperature') {
    if (unit === 'CEL' || unit === '°C' || unit === 'C') return value;
    if (unit === 'FAH' || unit === '°F' || unit === 'F') return Number((((value - 32) * 5) / 9).toPrecision(12));
    if (unit === 'KEL' || unit === 'K') return Number((value - 273.15).toPrecision(12));
    throw bad(`${where}: unit ${unit} is not a temperature unit (CEL, FAH, KEL)`);
  }
  if (quantity === 'concentration' || quantity === 'volume') {
    const f = UNIT_FACTORS[quantity][unit];
    if (f === undefined) throw bad(`${where}: unit ${unit} is not known for this ${quantity === 'volume' ? 'volume (use MTQ = m³ or LTR = litre)' : 'concentration (use M1 = mg/L or GQ = µg/L)'}`);
    // Rounded to 12 significant digits so that 191051 L reads 191.051 m³, not 191.05100000000002.
    return f === 1 ? value : Number((value * f).toPrecision(12));
  }
  return value;
}

/** Checks the value of a known quantity: a concentration or a meter reading is never negative, pH is 0–14. */
function checkRange(quantity: Quantity, value: number, where: string): number {
  if ((quantity === 'concentration' || quantity === 'volume') && value < 0) throw bad(`${where}: ${value} cannot be negative`);
  if (quantity === 'pH' && (value < 0 || value > 14)) throw bad(`${where}: pH ${value} is outside 0–14`);
  return value;
}

/** Names a reading value may have in the platform (as readings over HTTP and MQTT). */
const VALUE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,40}$/;
const MAX_VALUES = 64;
/** A device clock this far ahead is wrong; its readings would open episodes in the future. */
const MAX_FUTURE_MS = 10 * 60_000;
const NGSI_NULL = 'urn:ngsi-ld:null';

/** Members of an entity that are not observed properties. */
const NOT_MEASURED = new Set(['id', '@id', 'type', '@type', '@context', 'scope', 'createdAt', 'modifiedAt', 'deletedAt', 'location', 'observationSpace', 'operationSpace', 'dateObserved', 'dateCreated', 'dateModified', 'refDevice', 'measurand']);

/** WaterConsumptionObserved's one textual alarm: 1 while continuous flow is in progress. */
const FLOW_PERSISTENCE: Record<string, number> = {
  'Nothing to report': 0,
  'No persistence': 0,
  'In progress impacting persistence': 1,
  'In progress persistence': 1,
  'Past Persistence during the period': 0,
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return Array.isArray(v) ? 'an array' : typeof v;
}

interface Attr {
  value: unknown;
  observedAt?: unknown;
  unitCode?: unknown;
  observedBy?: unknown;
  isRelationship: boolean;
  isGeo: boolean;
}

/**
 * One attribute in any representation: normalized ({"type": "Property", "value": …}),
 * concise ({"value": …} or the bare value) or keyValues (the bare value); of several
 * instances (multi-attribute) the default one (no datasetId), else the first.
 */
function attrOf(raw: unknown): Attr {
  let a = raw;
  if (Array.isArray(a) && a.length && a.every(isRecord)) a = a.find((x) => !('datasetId' in x)) ?? a[0];
  if (!isRecord(a)) return { value: a, isRelationship: false, isGeo: false };
  const type = typeof a.type === 'string' ? a.type : undefined;
  // NGSI-v2 style relationships carry their target in value.
  if (type === 'Relationship' || (!('value' in a) && 'object' in a)) return { value: 'object' in a ? a.object : a.value, observedAt: a.observedAt, isRelationship: true, isGeo: false };
  if (type === 'GeoProperty' || type === 'Point') return { value: a, isRelationship: false, isGeo: true };
  if ('value' in a) {
    let value = a.value;
    if (isRecord(value) && '@value' in value) value = value['@value'];
    return { value, observedAt: a.observedAt, unitCode: a.unitCode, observedBy: a.observedBy, isRelationship: false, isGeo: false };
  }
  if ('@value' in a) return { value: a['@value'], isRelationship: false, isGeo: false };
  return { value: a, isRelationship: false, isGeo: false };
}

function timeOf(v: unknown, where: string): Date {
  let s = v;
  if (isRecord(s)) s = '@value' in s ? s['@value'] : s.value;
  if (isRecord(s) && '@value' in s) s = s['@value'];
  if (typeof s !== 'string') throw bad(`${where}: an ISO 8601 date-time is required, got ${shown(s)}`);
  // An ISO 8601 interval "start/end": the observation is complete at its end.
  const text = s.includes('/') ? s.slice(s.lastIndexOf('/') + 1) : s;
  const d = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(d.getTime())) throw bad(`${where}: ${JSON.stringify(s)} is not an ISO 8601 date-time`);
  return d;
}

/** A Relationship's target in any representation (normalized, concise, keyValues). */
function objectOf(raw: unknown): unknown {
  return attrOf(raw).value;
}

function deviceCodeOf(uri: string): string {
  const last = uri.slice(uri.lastIndexOf(':') + 1);
  try {
    return decodeURIComponent(last).trim();
  } catch {
    return last.trim();
  }
}

function pointOf(raw: unknown): { lng: number; lat: number } | null {
  let g = raw;
  if (isRecord(g) && (g.type === 'GeoProperty' || (!('coordinates' in g) && 'value' in g))) g = g.value;
  if (typeof g === 'string') {
    try {
      g = JSON.parse(g);
    } catch {
      throw bad('location: a GeoJSON geometry is required');
    }
  }
  if (!isRecord(g) || typeof g.type !== 'string') throw bad('location: a GeoJSON geometry is required');
  if (g.type !== 'Point') return null;
  const c = g.coordinates;
  if (!Array.isArray(c) || c.length < 2 || typeof c[0] !== 'number' || typeof c[1] !== 'number' || !Number.isFinite(c[0]) || !Number.isFinite(c[1])) {
    throw bad('location: a Point needs coordinates [longitude, latitude]');
  }
  const [lng, lat] = c as [number, number];
  if (lng < -180 || lng > 180 || lat < -90 || lat > 90) throw bad(`location: [${lng}, ${lat}] is not a longitude, latitude pair`);
  return { lng, lat };
}

/**
 * A measurand entry of WaterQualityObserved: "name, value, unitCode, description", e.g.
 * "CODMn, 4.2, M1, 高锰酸盐指数" (the model has no CODMn property). Its value may be text.
 */
function parseMeasurand(entry: unknown, where: string): { name: string; value: number; unit: string | undefined } {
  if (typeof entry !== 'string') throw bad(`${where}: "name, value, unitCode, description" text is required, got ${shown(entry)}`);
  const parts = entry.split(',').map((p) => p.trim());
  const name = parts[0] ?? '';
  const value = parts[1] === undefined || parts[1] === '' ? Number.NaN : Number(parts[1]);
  if (!name) throw bad(`${where}: the measurand's name is missing in ${JSON.stringify(entry)}`);
  if (!Number.isFinite(value)) throw bad(`${where}: the value of ${name} is not a number in ${JSON.stringify(entry)}`);
  return { name: shortName(name), value, unit: parts[2] || undefined };
}

/**
 * Reads one NGSI-LD entity into an observation. The device is the entity's refDevice (its
 * id's last ':' segment, e.g. urn:ngsi-ld:Device:WQ-001 → WQ-001), else the observedBy of
 * its measurements, else the last segment of the entity id. The time is the newest
 * observedAt of the measurements, else dateObserved, else `now`. Values of known properties
 * must be numbers, converted to mg/L, m³ and °C by their unitCode; other numeric properties
 * pass under their names. Throws NgsiError 400 BadRequestData naming the bad attribute.
 */
export function parseObservation(entity: unknown, opts: { now: Date }): NgsiObservation {
  if (!isRecord(entity)) throw bad('an entity must be a JSON object');
  const id = entity.id ?? entity['@id'];
  if (typeof id !== 'string' || !id) throw bad('id: the entity id is required');
  if (id.length > 256 || !URI.test(id)) throw bad(`id: ${JSON.stringify(id.slice(0, 80))} is not a URI (e.g. urn:ngsi-ld:WaterQualityObserved:WQ-001)`);

  const rawType = entity.type ?? entity['@type'];
  const types = typeof rawType === 'string' ? [rawType] : Array.isArray(rawType) && rawType.every((t) => typeof t === 'string') ? (rawType as string[]) : null;
  if (!types?.length) throw bad('type: the entity type is required');
  const entityType = types.map(supportedTypeOf).find((t) => t !== null);
  if (!entityType) throw bad(`type: ${types.join(', ')} is not supported; send ${SUPPORTED_TYPES.join(' or ')}`);

  const values: Record<string, number> = {};
  const canonicalFrom: Record<string, 'property' | 'alias'> = {};
  const times: Date[] = [];
  let observedBy: string | null = null;

  const put = (key: string, value: number, fromCanonicalName: boolean) => {
    // One quantity under two names (NH4 and NH3N): the canonical name wins, then the first.
    if (key in values && (canonicalFrom[key] === 'property' || !fromCanonicalName)) return;
    values[key] = value;
    canonicalFrom[key] = fromCanonicalName ? 'property' : 'alias';
  };

  for (const [term, raw] of Object.entries(entity)) {
    const name = shortName(term);
    if (NOT_MEASURED.has(term) || NOT_MEASURED.has(name) || term.startsWith('@')) continue;
    const attr = attrOf(raw);
    if (attr.isRelationship || attr.isGeo) continue;
    if (attr.value === NGSI_NULL) throw bad(`${name}: urn:ngsi-ld:null is not a value`);
    const known = canonicalOf(name);
    let value: number;
    if (known) {
      if (typeof attr.value !== 'number' || !Number.isFinite(attr.value)) throw bad(`${name}: value must be a number, got ${shown(attr.value)}`);
      const unit = typeof attr.unitCode === 'string' ? attr.unitCode : undefined;
      value = checkRange(known.quantity, inOurUnit(known.quantity, attr.value, unit, `${name}.unitCode`), name);
      put(known.key, value, name === known.key);
    } else if (name === 'alarmFlowPersistence' && typeof attr.value === 'string' && Object.hasOwn(FLOW_PERSISTENCE, attr.value)) {
      value = FLOW_PERSISTENCE[attr.value]!;
      put(name, value, true);
    } else if (typeof attr.value === 'number' && Number.isFinite(attr.value) && VALUE_NAME.test(name)) {
      value = attr.value;
      put(name, value, true);
    } else {
      continue;
    }
    if (attr.observedAt !== undefined) times.push(timeOf(attr.observedAt, `${name}.observedAt`));
    if (!observedBy && attr.observedBy !== undefined) {
      const by = objectOf(attr.observedBy);
      if (typeof by === 'string' && URI.test(by)) observedBy = by;
    }
  }

  if (entity.measurand !== undefined) {
    const m = attrOf(entity.measurand);
    const list = Array.isArray(m.value) ? m.value : typeof m.value === 'string' ? [m.value] : null;
    if (!list) throw bad(`measurand: a list of "name, value, unitCode, description" texts is required, got ${shown(m.value)}`);
    list.forEach((entry, i) => {
      const where = `measurand[${i}]`;
      const { name, value, unit } = parseMeasurand(entry, where);
      const known = canonicalOf(name);
      if (known) {
        const v = checkRange(known.quantity, inOurUnit(known.quantity, value, unit, where), where);
        // A property of the same quantity wins over the measurand list; within the list, the first.
        if (!(known.key in values)) put(known.key, v, name === known.key);
      } else if (VALUE_NAME.test(name) && !(name in values)) {
        put(name, value, true);
      }
    });
    if (m.observedAt !== undefined) times.push(timeOf(m.observedAt, 'measurand.observedAt'));
  }

  const count = Object.keys(values).length;
  if (!count) throw bad(`the entity carries no numeric measurement (e.g. ${entityType === 'WaterQualityObserved' ? 'O2, NH4, P-TOT, cod, bod, pH or a measurand' : 'waterConsumption'})`);
  if (count > MAX_VALUES) throw bad(`at most ${MAX_VALUES} measurements per entity, got ${count}`);

  let observedAt: Date;
  let timeFrom: string;
  if (times.length) {
    observedAt = new Date(Math.max(...times.map((t) => t.getTime())));
    timeFrom = 'observedAt';
  } else if (entity.dateObserved !== undefined) {
    observedAt = timeOf(attrOf(entity.dateObserved).value ?? entity.dateObserved, 'dateObserved');
    timeFrom = 'dateObserved';
  } else {
    observedAt = opts.now;
    timeFrom = '';
  }
  if (timeFrom && observedAt.getTime() > opts.now.getTime() + MAX_FUTURE_MS) throw bad(`${timeFrom}: ${observedAt.toISOString()} is in the future`);

  let deviceCode: string;
  let codeFrom: string;
  if (entity.refDevice !== undefined) {
    const ref = objectOf(entity.refDevice);
    const target = Array.isArray(ref) && ref.length === 1 ? ref[0] : ref;
    if (typeof target !== 'string' || !URI.test(target)) throw bad(`refDevice: the URI of a Device is required, got ${shown(target)}`);
    deviceCode = deviceCodeOf(target);
    codeFrom = 'refDevice';
  } else if (observedBy) {
    deviceCode = deviceCodeOf(observedBy);
    codeFrom = 'observedBy';
  } else {
    deviceCode = deviceCodeOf(id);
    codeFrom = 'id';
  }
  if (!deviceCode || deviceCode.length > 64) throw bad(`${codeFrom}: no device code in its last ':' segment`);

  const location = entity.location === undefined ? null : pointOf(entity.location);
  return { entityId: id, entityType, deviceCode, observedAt, values, location };
}
