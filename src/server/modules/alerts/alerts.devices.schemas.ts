import { z } from 'zod';

/** Kinds of devices; the type decides which rules watch a device. */
export const DEVICE_TYPES = ['water_quality', 'water_meter', 'access_control', 'camera_alarm', 'generic'] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];
export const DEVICE_TYPE_LABELS: Record<DeviceType, string> = {
  water_quality: '水质监测站',
  water_meter: '智能水表',
  access_control: '门禁',
  camera_alarm: '视频告警源',
  generic: '通用',
};

/** The fixed list of care tags (关爱标签); nothing else is recorded about a household's people. */
export const CARE_TAGS = ['独居老人', '孤寡老人', '残障', '留守儿童', '困境儿童', '重病', '低保'] as const;
export type CareTag = (typeof CARE_TAGS)[number];

/** At most this many points per readings answer; longer ranges are averaged in time buckets. */
export const MAX_READING_POINTS = 5_000;

const boolQuery = z.enum(['true', 'false']).transform((v) => v === 'true').optional();
const ZPaging = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(200).default(20),
};

// ---------------------------------------------------------------- devices

export const ZDeviceType = z.enum(DEVICE_TYPES);

/** Location: a pin (lng, lat), or an address text resolved through the address library. */
const ZLocation = {
  lng: z.number().min(-180).max(180).nullish(),
  lat: z.number().min(-90).max(90).nullish(),
  addressText: z.string().max(200).nullish(),
};

export const ZDeviceIn = z.object({
  code: z.string().regex(/^[A-Za-z0-9_-]{3,64}$/, '3 to 64 letters, digits, _ or -'),
  name: z.string().trim().min(1).max(60),
  type: ZDeviceType,
  ...ZLocation,
  owner: z.string().trim().max(60).nullish(),
  waterBodyId: z.uuid().nullish(),
  householdId: z.uuid().nullish(),
});
export type DeviceIn = z.infer<typeof ZDeviceIn>;

export const ZDevicePatch = z.object({
  name: z.string().trim().min(1).max(60).optional(),
  ...ZLocation,
  owner: z.string().trim().max(60).nullish(),
  waterBodyId: z.uuid().nullish(),
  householdId: z.uuid().nullish(),
  active: z.boolean().optional(),
});
export type DevicePatch = z.infer<typeof ZDevicePatch>;

export const ZDeviceQuery = z.object({
  ...ZPaging,
  type: ZDeviceType.optional(),
  q: z.string().max(100).optional(),
  online: boolQuery,
  /** Retired devices are hidden unless asked for. */
  active: z.enum(['true', 'false', 'all']).default('true'),
  waterBodyId: z.uuid().optional(),
  format: z.enum(['json', 'xlsx']).default('json'),
});

export const ZDevice = z.object({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  type: ZDeviceType,
  typeLabel: z.string(),
  lng: z.number().nullable(),
  lat: z.number().nullable(),
  addressText: z.string().nullable(),
  gridId: z.string().nullable(),
  gridName: z.string().nullable(),
  communityName: z.string().nullable(),
  owner: z.string(),
  waterBody: z.object({ id: z.string(), name: z.string() }).nullable(),
  household: z.object({ id: z.string(), label: z.string() }).nullable(),
  active: z.boolean(),
  online: z.boolean(),
  lastSeenAt: z.string().nullable(),
  lastReadingAt: z.string().nullable(),
  lastValues: z.record(z.string(), z.number()).nullable(),
  createdAt: z.string(),
});
export const ZDeviceList = z.object({ items: z.array(ZDevice), total: z.number(), page: z.number(), pageSize: z.number() });
export const ZDeviceCreated = z.object({ id: z.string(), secret: z.string() });

export const ZReadingsQuery = z.object({
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  limit: z.coerce.number().int().min(1).max(MAX_READING_POINTS).default(MAX_READING_POINTS),
});
export const ZReadings = z.object({
  items: z.array(z.object({ observedAt: z.string(), values: z.record(z.string(), z.number()) })),
  indicators: z.array(z.string()),
  from: z.string(),
  to: z.string(),
  /** Set when the range held more points than the limit: each item is a time bucket's average. */
  bucketSeconds: z.number().nullable(),
});

export const ZGeoJsonQuery = z.object({ type: ZDeviceType.optional() });

// ---------------------------------------------------------------- water bodies

const ZAlarmLevels = z.object({ yellow: z.number().int().min(1).max(5), red: z.number().int().min(1).max(5) });
export const ZWaterBodyIn = z.object({
  name: z.string().trim().min(1).max(40),
  kind: z.enum(['river', 'lake']),
  targetClass: z.number().int().min(1).max(5),
  alarmLevels: ZAlarmLevels.default({ yellow: 1, red: 2 }),
  chiefUserId: z.uuid().nullish(),
  /** Only for callers whose scope spans several districts; otherwise the caller's district. */
  districtOrgId: z.uuid().optional(),
});
export type WaterBodyIn = z.infer<typeof ZWaterBodyIn>;
export const ZWaterBodyPatch = ZWaterBodyIn.omit({ districtOrgId: true }).partial().extend({ alarmLevels: ZAlarmLevels.optional() });
export type WaterBodyPatch = z.infer<typeof ZWaterBodyPatch>;

export const ZWaterBody = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['river', 'lake']),
  targetClass: z.number(),
  targetClassLabel: z.string(),
  alarmLevels: z.object({ yellow: z.number(), red: z.number() }),
  chief: z.object({ id: z.string(), name: z.string() }).nullable(),
  stations: z.number(),
  createdAt: z.string(),
});

// ---------------------------------------------------------------- households

export const ZCareTag = z.enum(CARE_TAGS);
export const ZHouseholdIn = z.object({
  ...ZLocation,
  contactName: z.string().trim().min(1).max(20),
  contactPhone: z.string().max(20).nullish(),
  careTags: z.array(ZCareTag).min(1).max(CARE_TAGS.length),
  /** A short practical note (e.g. 行动不便，敲门需等候); no judgements about the person. */
  note: z.string().max(200).default(''),
});
export type HouseholdIn = z.infer<typeof ZHouseholdIn>;
export const ZHouseholdPatch = ZHouseholdIn.partial().extend({ note: z.string().max(200).optional() });
export type HouseholdPatch = z.infer<typeof ZHouseholdPatch>;

export const ZHouseholdQuery = z.object({
  ...ZPaging,
  q: z.string().max(100).optional(),
  careTag: ZCareTag.optional(),
  gridId: z.uuid().optional(),
  communityId: z.uuid().optional(),
  hasMeter: boolQuery,
});

export const ZHousehold = z.object({
  id: z.string(),
  addressText: z.string(),
  lng: z.number().nullable(),
  lat: z.number().nullable(),
  gridId: z.string().nullable(),
  gridName: z.string().nullable(),
  communityId: z.string(),
  communityName: z.string().nullable(),
  contactName: z.string(),
  contactPhone: z.string().nullable(),
  careTags: z.array(z.string()),
  note: z.string(),
  meter: z.object({ id: z.string(), code: z.string(), online: z.boolean(), lastReadingAt: z.string().nullable() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const ZHouseholdList = z.object({ items: z.array(ZHousehold), total: z.number(), page: z.number(), pageSize: z.number() });
export const ZHouseholdContact = z.object({ contactName: z.string(), contactPhone: z.string().nullable() });
export const ZMeterIn = z.object({ deviceId: z.uuid().nullable() });
