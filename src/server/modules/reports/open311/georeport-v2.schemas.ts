/**
 * JSON Schemas (draft-07) of the JSON answers of Open311 GeoReport v2 and of its Service
 * Discovery document.
 *
 * Sources:
 * - The service, services, service definition, request and requests schemas follow the ones
 *   the Open311 community published in github.com/open311/schema-validation
 *   (schema/georeport-v2/*.json, draft-04 style without a $schema keyword; empty values are
 *   `anyOf [type, null]`) and the RequestResponse/TokenResponse definitions of its swagger.json.
 *   They are rewritten here, not copied, as draft-07 with `type: [..., 'null']`.
 * - No published schema exists for the discovery document, the POST answer's array, the token
 *   answer's array or the error list: those are written from the spec text
 *   (wiki.open311.org/GeoReport_v2 "POST Service Request", "GET service_request_id from a token",
 *   "Errors"; wiki.open311.org/Service_Discovery "Fields for All Versions": all fields required).
 *
 * Deliberate differences from the published schemas, each following the spec text:
 * - Date-times use format `date-time` (RFC 3339). The spec asks for the W3C note's profile of
 *   ISO 8601 with a mandatory zone; RFC 3339 is that profile minus the forms without seconds.
 * - `service_code` of a request may be null: a report that came in through another channel may
 *   not be classified yet. The spec's JSON examples use null for every empty value (the "Spark"
 *   convention maps an empty XML element to null).
 * - The service list and request list may be empty (the published ones put minItems inside items,
 *   where it has no effect; an empty answer is a legitimate answer to a query).
 *
 * Extra properties are allowed everywhere: the spec tolerates extensions (e.g. page/page_size).
 */

const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';

const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { anyOf: [dateTime, { type: 'null' }] } as const;

/** One service (request type). */
const service = {
  type: 'object',
  required: ['service_code', 'service_name', 'metadata', 'type'],
  properties: {
    service_code: { type: 'string', minLength: 1, description: 'Unique identifier of the service request type.' },
    service_name: { type: 'string', description: 'Human readable name of the service request type.' },
    description: nullableString,
    metadata: { type: 'boolean', description: 'true when GET service definition must be called for extra fields.' },
    type: { enum: ['realtime', 'batch', 'blackbox'] },
    keywords: { ...nullableString, description: 'Comma separated tags.' },
    group: { ...nullableString, description: 'Category the service belongs to.' },
  },
} as const;

const attributeValue = {
  type: 'object',
  required: ['key', 'name'],
  properties: {
    key: { type: 'string' },
    name: { type: 'string' },
  },
} as const;

const attribute = {
  type: 'object',
  required: ['variable', 'code', 'datatype', 'required'],
  properties: {
    variable: { type: 'boolean' },
    code: { type: 'string', minLength: 1 },
    datatype: { enum: ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist'] },
    required: { type: 'boolean' },
    datatype_description: nullableString,
    order: { type: ['integer', 'null'], minimum: 1 },
    description: nullableString,
    values: { type: 'array', items: attributeValue },
  },
} as const;

/** One service request as returned by GET requests and GET request. */
const request = {
  type: 'object',
  required: ['service_request_id', 'status', 'service_code', 'requested_datetime'],
  properties: {
    service_request_id: { type: 'string', minLength: 1 },
    status: { enum: ['open', 'closed'] },
    status_notes: nullableString,
    service_name: nullableString,
    service_code: nullableString,
    description: { type: ['string', 'null'], maxLength: 4000 },
    agency_responsible: nullableString,
    service_notice: nullableString,
    requested_datetime: dateTime,
    updated_datetime: nullableDateTime,
    expected_datetime: nullableDateTime,
    address: nullableString,
    address_id: nullableString,
    zipcode: nullableString,
    lat: { type: ['number', 'null'], minimum: -90, maximum: 90 },
    long: { type: ['number', 'null'], minimum: -180, maximum: 180 },
    media_url: { anyOf: [{ type: 'string', format: 'uri' }, { type: 'null' }] },
  },
} as const;

/** GET discovery: every field is required by the Service Discovery spec. */
export const discoverySchema = {
  $schema: DRAFT_07,
  title: 'Open311 Service Discovery',
  type: 'object',
  required: ['changeset', 'contact', 'key_service', 'endpoints'],
  properties: {
    changeset: { type: 'string', minLength: 1, description: 'Sortable; when this document last changed.' },
    contact: { type: 'string' },
    key_service: { type: 'string', description: 'How to get an API key.' },
    endpoints: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['specification', 'url', 'changeset', 'type', 'formats'],
        properties: {
          specification: { type: 'string', minLength: 1 },
          url: { type: 'string', format: 'uri' },
          changeset: { type: 'string', minLength: 1 },
          type: { enum: ['production', 'test'] },
          formats: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        },
      },
    },
  },
} as const;

/** GET services. */
export const servicesSchema = { $schema: DRAFT_07, title: 'GeoReport v2 service list', type: 'array', items: service } as const;

/** GET service definition (an object, not an array, in the spec's JSON example). */
export const serviceDefinitionSchema = {
  $schema: DRAFT_07,
  title: 'GeoReport v2 service definition',
  type: 'object',
  required: ['service_code', 'attributes'],
  properties: {
    service_code: { type: 'string', minLength: 1 },
    attributes: { type: 'array', items: attribute },
  },
} as const;

/**
 * POST requests: an array of one object. The spec wants either service_request_id or token
 * ("should not be returned if ... is returned"); the schema only asks for at least one.
 */
export const postRequestResponseSchema = {
  $schema: DRAFT_07,
  title: 'GeoReport v2 POST service request answer',
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    anyOf: [{ required: ['service_request_id'] }, { required: ['token'] }],
    properties: {
      service_request_id: { type: 'string', minLength: 1 },
      token: { type: 'string', minLength: 1 },
      service_notice: nullableString,
      account_id: nullableString,
    },
  },
} as const;

/** GET tokens/{token}. */
export const tokenResponseSchema = {
  $schema: DRAFT_07,
  title: 'GeoReport v2 token answer',
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['service_request_id', 'token'],
    properties: {
      service_request_id: { type: 'string', minLength: 1 },
      token: { type: 'string', minLength: 1 },
    },
  },
} as const;

/** GET requests and GET requests/{id} (the latter an array of one). */
export const requestsSchema = { $schema: DRAFT_07, title: 'GeoReport v2 service requests', type: 'array', items: request } as const;

/** Any error: a list of {code, description}; code usually the HTTP status. */
export const errorsSchema = {
  $schema: DRAFT_07,
  title: 'GeoReport v2 errors',
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    required: ['code', 'description'],
    properties: {
      code: { type: 'integer' },
      description: { type: 'string', minLength: 1 },
    },
  },
} as const;

export const GEOREPORT_V2_SCHEMAS = {
  discovery: discoverySchema,
  services: servicesSchema,
  serviceDefinition: serviceDefinitionSchema,
  postRequestResponse: postRequestResponseSchema,
  tokenResponse: tokenResponseSchema,
  requests: requestsSchema,
  errors: errorsSchema,
} as const;

/** Field names of a request object, in the spec's order (the server emits all of them). */
export const REQUEST_FIELDS = [
  'service_request_id',
  'status',
  'status_notes',
  'service_name',
  'service_code',
  'description',
  'agency_responsible',
  'service_notice',
  'requested_datetime',
  'updated_datetime',
  'expected_datetime',
  'address',
  'address_id',
  'zipcode',
  'lat',
  'long',
  'media_url',
] as const;

/** Field names of a service object, in the spec's order. */
export const SERVICE_FIELDS = ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'] as const;
