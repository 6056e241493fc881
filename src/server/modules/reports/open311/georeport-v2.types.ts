/**
 * The wire objects of Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2), as in its JSON
 * format. The XML format carries the same fields as elements; empty elements are null here.
 */

export type GeoReportFormat = 'json' | 'xml';

export const GEOREPORT_V2_SPEC = 'http://wiki.open311.org/GeoReport_v2';

export interface DiscoveryEndpoint {
  specification: string;
  url: string;
  changeset: string;
  type: 'production' | 'test';
  /** MIME types, e.g. 'text/xml', 'application/json'. */
  formats: string[];
}

export interface Discovery {
  changeset: string;
  contact: string;
  key_service: string;
  endpoints: DiscoveryEndpoint[];
}

export interface Service {
  service_code: string;
  service_name: string;
  description: string | null;
  metadata: boolean;
  type: 'realtime' | 'batch' | 'blackbox';
  /** Comma separated. */
  keywords: string | null;
  group: string | null;
}

export interface ServiceAttributeValue {
  key: string;
  name: string;
}

export interface ServiceAttribute {
  variable: boolean;
  code: string;
  datatype: 'string' | 'number' | 'datetime' | 'text' | 'singlevaluelist' | 'multivaluelist';
  required: boolean;
  datatype_description: string | null;
  order: number | null;
  description: string | null;
  values: ServiceAttributeValue[];
}

export interface ServiceDefinition {
  service_code: string;
  attributes: ServiceAttribute[];
}

/** Fields of POST requests (besides api_key and jurisdiction_id, which the client adds). */
export interface NewServiceRequest {
  service_code: string;
  lat?: number;
  long?: number;
  address_string?: string;
  address_id?: string;
  email?: string;
  device_id?: string;
  account_id?: string;
  first_name?: string;
  last_name?: string;
  phone?: string;
  description?: string;
  media_url?: string;
  /** attribute[code]=value; an array for multivaluelist (attribute[code][]=v1&…). */
  attributes?: Record<string, string | string[]>;
}

export interface CreatedServiceRequest {
  service_request_id: string | null;
  token: string | null;
  service_notice: string | null;
  account_id: string | null;
}

export interface TokenAnswer {
  service_request_id: string;
  token: string;
}

export interface ServiceRequest {
  service_request_id: string;
  status: 'open' | 'closed';
  status_notes: string | null;
  service_name: string | null;
  service_code: string | null;
  description: string | null;
  agency_responsible: string | null;
  service_notice: string | null;
  /** W3C date-time with zone, e.g. 2024-05-01T09:30:00+08:00. */
  requested_datetime: string;
  updated_datetime: string | null;
  expected_datetime: string | null;
  address: string | null;
  address_id: string | null;
  zipcode: string | null;
  lat: number | null;
  long: number | null;
  media_url: string | null;
}

export interface ServiceRequestFilter {
  /** Overrides every other filter (spec). */
  service_request_id?: string | string[];
  service_code?: string | string[];
  start_date?: Date | string;
  end_date?: Date | string;
  status?: 'open' | 'closed' | ('open' | 'closed')[];
}

export interface GeoReportErrorItem {
  code: number;
  description: string;
}
