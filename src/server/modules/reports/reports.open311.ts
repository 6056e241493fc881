import crypto from 'node:crypto';
import type { Db } from '../../db.js';
import { AppError, invalid } from '../../platform/http/errors.js';
import type { Open311Port, Open311Request } from './open311/open311.port.js';
import { WARNING_CATEGORY_GROUP } from './reports.categories.js';
import * as repo from './reports.repository.js';
import type { ReportsService } from './reports.service.js';
import { STATUS_LABELS, type Status } from './reports.workflow.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The reports module seen through Open311 GeoReport v2: services are the leaf categories. */
export function createOpen311Port(db: Db, reports: ReportsService, opts: { baseUrl: string }): Open311Port {
  function present(r: Awaited<ReturnType<typeof repo.open311Requests>>[number]): Open311Request {
    const closed = r.status === 'closed' || r.status === 'voided';
    return {
      id: r.id,
      status: closed ? 'closed' : 'open',
      statusNotes: r.status === 'closed' ? (r.result_note ?? STATUS_LABELS.closed) : STATUS_LABELS[r.status as Status],
      serviceName: r.category_name ?? null,
      serviceCode: r.category_code,
      description: r.description,
      agencyResponsible: r.dept_name ?? null,
      requestedAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      expectedAt: r.expected_at ? new Date(r.expected_at) : null,
      address: r.address_text ?? ([r.street_name, r.community_name].filter(Boolean).join('') || null),
      addressId: r.address_id,
      lat: r.lat,
      long: r.lng,
      mediaUrl: r.first_photo ? `${opts.baseUrl}/api/v1/public/report-photos/${r.first_photo}` : null,
    };
  }

  return {
    async authenticate(apiKey) {
      const k = await repo.findOpen311Key(db, crypto.createHash('sha256').update(apiKey).digest('hex'));
      return k ? { keyId: k.id, name: k.name, districtOrgId: k.district_org_id } : undefined;
    },

    async services() {
      const cats = [...(await reports.categories()).values()].filter((c) => c.active);
      const groups = new Map(cats.filter((c) => !c.parent_code).map((c) => [c.code, c.name]));
      return cats
        .filter((c) => c.parent_code && c.dept_type && c.parent_code !== WARNING_CATEGORY_GROUP)
        .map((c) => ({ code: c.code, name: c.name, description: `${groups.get(c.parent_code!) ?? ''}·${c.name}`, group: groups.get(c.parent_code!) ?? '', keywords: [c.name, groups.get(c.parent_code!) ?? ''].filter(Boolean) }));
    },

    async create(client, input, ctx) {
      if (!input.serviceCode) throw invalid('service_code', 'required');
      const cat = (await reports.categories()).get(input.serviceCode);
      if (!cat || !cat.active || !cat.parent_code || cat.parent_code === WARNING_CATEGORY_GROUP) throw invalid('service_code', `unknown service ${input.serviceCode}`);
      if (input.lat === undefined && input.long === undefined && !input.addressString && !input.addressId) throw invalid('lat', 'a location is required: lat and long, address_string or address_id');
      const name = [input.lastName, input.firstName].filter(Boolean).join('') || null;
      const scopePath = client.districtOrgId ? `/${client.districtOrgId}/` : '/';
      const out = await reports.createReport(
        { actor: null, ip: ctx.ip, requestId: ctx.requestId },
        {
          channel: 'open311',
          description: input.description?.trim() || cat.name,
          categoryCode: input.serviceCode,
          lng: input.long ?? null,
          lat: input.lat ?? null,
          address: input.addressString ?? null,
          reporterName: name,
          reporterPhone: input.phone ?? null,
          externalRef: `open311:${client.name}${input.accountId ? `:${input.accountId}` : ''}${input.deviceId ? `:${input.deviceId}` : ''}`,
        },
        { scopePath },
      ).catch((e) => {
        // Field names of the spec in the answer.
        if (e instanceof AppError && e.code === 'validation_failed') {
          const rename: Record<string, string> = { lng: 'long', address: 'address_string', location: 'lat', categoryCode: 'service_code', phone: 'phone', description: 'description' };
          const details = (e.details as { field: string; message: string }[] | undefined) ?? [];
          const d = details[0];
          if (d) throw invalid(rename[d.field] ?? d.field, d.message);
        }
        throw e;
      });
      return { id: out.id, token: out.trackingCode };
    },

    async list(f) {
      const rows = await repo.open311Requests(db, {
        ids: f.ids?.filter((id) => UUID_RE.test(id)),
        categoryCodes: f.serviceCode,
        from: f.startDate,
        to: f.endDate,
        open: !f.status || f.status.includes('open'),
        closed: !f.status || f.status.includes('closed'),
        limit: f.limit,
      });
      return rows.map(present);
    },

    async get(id) {
      if (!UUID_RE.test(id)) return undefined;
      const [r] = await repo.open311Requests(db, { ids: [id], limit: 1 });
      return r ? present(r) : undefined;
    },

    async byToken(token) {
      const r = await repo.findReportByTrackingCode(db, token.trim().toUpperCase());
      return r?.id;
    },
  };
}
