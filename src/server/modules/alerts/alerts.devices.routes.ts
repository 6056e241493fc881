import { z } from 'zod';
import { actorContextOf, type App } from '../../platform/http/app.js';
import { ZIdParams, errorResponses } from '../../platform/http/schemas.js';
import { attachment, toXlsx, XLSX_MIME } from '../../platform/http/xlsx.js';
import type { DevicesService } from './alerts.devices.js';
import * as S from './alerts.devices.schemas.js';

const devicesTag = { tags: ['devices'] };
const householdsTag = { tags: ['households'] };

/** Devices, their readings and map layer, water bodies, and the households of care services. */
export function registerDeviceRoutes(app: App, deps: { devices: DevicesService }) {
  const { devices } = deps;

  // ---------------------------------------------------------------- devices

  app.get(
    '/api/v1/devices',
    { schema: { ...devicesTag, summary: '设备列表 Devices (format=xlsx exports)', querystring: S.ZDeviceQuery, response: { 200: S.ZDeviceList, ...errorResponses } } },
    async (req, reply) => {
      const ctx = actorContextOf(req);
      const { page, pageSize, format, ...f } = req.query;
      if (format !== 'xlsx') return devices.listDevices(ctx, f, { page, pageSize });
      const items = await devices.exportDevices(ctx, f);
      const time = (s: string | null) => (s ? new Date(s).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '');
      const buf = await toXlsx(
        '设备',
        [
          { header: '设备编号', width: 20, value: (d) => d.code },
          { header: '名称', width: 24, value: (d) => d.name },
          { header: '类型', value: (d) => d.typeLabel },
          { header: '地址', width: 36, value: (d) => d.addressText ?? '' },
          { header: '社区·村', value: (d) => d.communityName ?? '' },
          { header: '网格', value: (d) => d.gridName ?? '' },
          { header: '经度', value: (d) => d.lng ?? '' },
          { header: '纬度', value: (d) => d.lat ?? '' },
          { header: '权属单位', value: (d) => d.owner },
          { header: '所属水体', value: (d) => d.waterBody?.name ?? '' },
          { header: '关爱家庭', value: (d) => d.household?.label ?? '' },
          { header: '状态', value: (d) => (!d.active ? '已停用' : d.online ? '在线' : '离线') },
          { header: '最近读数时间', width: 20, value: (d) => time(d.lastReadingAt) },
          { header: '最近读数', width: 40, value: (d) => (d.lastValues ? Object.entries(d.lastValues).map(([k, v]) => `${k}=${v}`).join(' ') : '') },
        ],
        items,
      );
      // A Buffer is sent as it is: the list's response schema does not apply to it.
      return reply.type(XLSX_MIME).header('content-disposition', attachment('设备.xlsx')).send(buf as never);
    },
  );

  app.get('/api/v1/devices.geojson', { schema: { ...devicesTag, summary: '设备点位 Devices as GeoJSON points', querystring: S.ZGeoJsonQuery } }, async (req, reply) => {
    const fc = await devices.deviceFeatures(actorContextOf(req), req.query.type);
    reply.type('application/geo+json');
    return fc;
  });

  app.get('/api/v1/devices/:id', { schema: { ...devicesTag, summary: '设备详情 Device', params: ZIdParams, response: { 200: S.ZDevice, ...errorResponses } } }, async (req) =>
    devices.getDevice(actorContextOf(req), req.params.id),
  );

  app.post('/api/v1/devices', { schema: { ...devicesTag, summary: '登记设备 Register a device (the secret is shown once)', body: S.ZDeviceIn, response: { 201: S.ZDeviceCreated, ...errorResponses } } }, async (req, reply) => {
    const out = await devices.createDevice(actorContextOf(req), req.body);
    reply.code(201);
    return out;
  });

  app.patch('/api/v1/devices/:id', { schema: { ...devicesTag, summary: '修改设备 Edit a device', params: ZIdParams, body: S.ZDevicePatch, response: { 200: S.ZDevice, ...errorResponses } } }, async (req) =>
    devices.updateDevice(actorContextOf(req), req.params.id, req.body),
  );

  app.post('/api/v1/devices/:id/secret', { schema: { ...devicesTag, summary: '重置设备密钥 Rotate the secret (shown once)', params: ZIdParams, response: { 200: z.object({ secret: z.string() }), ...errorResponses } } }, async (req) =>
    devices.rotateSecret(actorContextOf(req), req.params.id),
  );

  app.delete('/api/v1/devices/:id', { schema: { ...devicesTag, summary: '停用设备 Retire a device', params: ZIdParams, response: { 204: z.null(), ...errorResponses } } }, async (req, reply) => {
    await devices.deactivateDevice(actorContextOf(req), req.params.id);
    return reply.code(204).send(null);
  });

  app.get(
    '/api/v1/devices/:id/readings',
    { schema: { ...devicesTag, summary: '设备读数 Readings (default last 7 days; time-bucket averages beyond the limit)', params: ZIdParams, querystring: S.ZReadingsQuery, response: { 200: S.ZReadings, ...errorResponses } } },
    async (req) => devices.readings(actorContextOf(req), req.params.id, req.query),
  );

  // ---------------------------------------------------------------- water bodies

  app.get('/api/v1/water-bodies', { schema: { ...devicesTag, summary: '河湖水体 Water bodies', querystring: z.object({ q: z.string().max(40).optional() }), response: { 200: z.array(S.ZWaterBody), ...errorResponses } } }, async (req) =>
    devices.listWaterBodies(actorContextOf(req), req.query),
  );
  app.get('/api/v1/water-bodies/:id', { schema: { ...devicesTag, summary: '水体详情 Water body', params: ZIdParams, response: { 200: S.ZWaterBody, ...errorResponses } } }, async (req) =>
    devices.getWaterBody(actorContextOf(req), req.params.id),
  );
  app.post('/api/v1/water-bodies', { schema: { ...devicesTag, summary: '新增水体 Add a water body', body: S.ZWaterBodyIn, response: { 201: S.ZWaterBody, ...errorResponses } } }, async (req, reply) => {
    const out = await devices.createWaterBody(actorContextOf(req), req.body);
    reply.code(201);
    return out;
  });
  app.patch('/api/v1/water-bodies/:id', { schema: { ...devicesTag, summary: '修改水体 Edit a water body', params: ZIdParams, body: S.ZWaterBodyPatch, response: { 200: S.ZWaterBody, ...errorResponses } } }, async (req) =>
    devices.updateWaterBody(actorContextOf(req), req.params.id, req.body),
  );

  // ---------------------------------------------------------------- households

  app.get('/api/v1/households/care-tags', { schema: { ...householdsTag, summary: '关爱标签 Care tags', response: { 200: z.array(z.string()) } } }, async (req) => {
    actorContextOf(req);
    return [...S.CARE_TAGS];
  });
  app.get('/api/v1/households', { schema: { ...householdsTag, summary: '关爱家庭 Households (contacts masked)', querystring: S.ZHouseholdQuery, response: { 200: S.ZHouseholdList, ...errorResponses } } }, async (req) => {
    const { page, pageSize, ...f } = req.query;
    return devices.listHouseholds(actorContextOf(req), f, { page, pageSize });
  });
  app.get('/api/v1/households/:id', { schema: { ...householdsTag, summary: '家庭详情 Household (contact masked)', params: ZIdParams, response: { 200: S.ZHousehold, ...errorResponses } } }, async (req) =>
    devices.getHousehold(actorContextOf(req), req.params.id),
  );
  app.get('/api/v1/households/:id/contact', { schema: { ...householdsTag, summary: '联系人（审计）Contact, audited', params: ZIdParams, response: { 200: S.ZHouseholdContact, ...errorResponses } } }, async (req) =>
    devices.householdContact(actorContextOf(req), req.params.id),
  );
  app.post('/api/v1/households', { schema: { ...householdsTag, summary: '登记家庭 Record a household', body: S.ZHouseholdIn, response: { 201: S.ZHousehold, ...errorResponses } } }, async (req, reply) => {
    const out = await devices.createHousehold(actorContextOf(req), req.body);
    reply.code(201);
    return out;
  });
  app.patch('/api/v1/households/:id', { schema: { ...householdsTag, summary: '修改家庭 Edit a household', params: ZIdParams, body: S.ZHouseholdPatch, response: { 200: S.ZHousehold, ...errorResponses } } }, async (req) =>
    devices.updateHousehold(actorContextOf(req), req.params.id, req.body),
  );
  app.put('/api/v1/households/:id/meter', { schema: { ...householdsTag, summary: '绑定水表 Link the water meter (null unlinks)', params: ZIdParams, body: S.ZMeterIn, response: { 200: S.ZHousehold, ...errorResponses } } }, async (req) =>
    devices.setMeter(actorContextOf(req), req.params.id, req.body.deviceId),
  );
}
