/**
 * What the Open311 GeoReport v2 endpoints need from the reports module. The reports service
 * implements it; the Open311 layer only translates between the spec's wire format and this.
 */
export interface Open311Client {
  keyId: string;
  name: string;
  /** District the key may report into and read from. */
  districtOrgId: string | null;
}

export interface Open311Service {
  code: string;
  name: string;
  description: string;
  /** Parent category name (the spec's "group"). */
  group: string;
  keywords: string[];
}

export interface Open311NewRequest {
  serviceCode: string;
  lat?: number;
  long?: number;
  addressString?: string;
  addressId?: string;
  description?: string;
  email?: string;
  deviceId?: string;
  accountId?: string;
  firstName?: string;
  lastName?: string;
  phone?: string;
  mediaUrl?: string;
}

export interface Open311Request {
  id: string;
  status: 'open' | 'closed';
  statusNotes: string | null;
  serviceName: string | null;
  serviceCode: string | null;
  description: string;
  agencyResponsible: string | null;
  requestedAt: Date;
  updatedAt: Date;
  expectedAt: Date | null;
  address: string | null;
  addressId: string | null;
  lat: number | null;
  long: number | null;
  /** URL of the first public photo, if any. */
  mediaUrl: string | null;
}

export interface Open311Filter {
  ids?: string[];
  serviceCode?: string[];
  startDate?: Date;
  endDate?: Date;
  status?: ('open' | 'closed')[];
  limit: number;
}

export interface Open311Port {
  /** The client of an API key, or undefined when the key is unknown or disabled. */
  authenticate(apiKey: string): Promise<Open311Client | undefined>;
  services(): Promise<Open311Service[]>;
  /**
   * Creates a report through the normal intake (classification is skipped: the service code
   * is the category; routing, deadlines, audit as for any report). Throws AppError
   * validation_failed naming the field (e.g. 'lat', 'service_code', 'description') for bad input.
   */
  create(client: Open311Client, input: Open311NewRequest, ctx: { ip: string | null; requestId: string | null }): Promise<{ id: string; token: string }>;
  /** Requests visible to anyone (GeoReport v2 GETs need no key), newest first. */
  list(filter: Open311Filter): Promise<Open311Request[]>;
  get(id: string): Promise<Open311Request | undefined>;
  /** The request id behind a token returned by create. */
  byToken(token: string): Promise<string | undefined>;
}
