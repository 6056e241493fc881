/**
 * Shared shapes of the unified address library and grids. The demo generator produces them,
 * the repository stores them, the matcher indexes them.
 */

/** The nine levels of the address hierarchy, from 省 down to 户. */
export const ADDRESS_LEVELS = [
  'province', // 省
  'city', // 市
  'county', // 区县
  'street', // 街道·镇
  'community', // 社区·村
  'estate', // 小区·自然村
  'building', // 楼栋
  'unit', // 单元
  'room', // 户
] as const;
export type AddressLevel = (typeof ADDRESS_LEVELS)[number];

export const ADDRESS_LEVEL_LABELS: Record<AddressLevel, string> = {
  province: '省',
  city: '市',
  county: '区县',
  street: '街道·镇',
  community: '社区·村',
  estate: '小区·自然村',
  building: '楼栋',
  unit: '单元',
  room: '户',
};

export interface AddressRecord {
  id: string;
  parentId: string | null;
  level: AddressLevel;
  /** The component at this level, e.g. "硖石街道", "文苑小区", "3幢", "1单元", "301室". */
  name: string;
  /** Standard full text: every level's name concatenated, e.g. "浙江省嘉兴市海宁市硖石街道西山社区文苑小区3幢1单元301室". */
  fullText: string;
  /** Other names people use for this record, e.g. the road and number of an estate: "水月亭路88号". */
  aliases: string[];
  /** WGS-84. */
  lng: number;
  lat: number;
  /** Grid containing the point; null above the community level. */
  gridId: string | null;
}

/** GeoJSON polygon in WGS-84 ([lng, lat] positions, first ring outer, rings closed). */
export interface PolygonGeometry {
  type: 'Polygon';
  coordinates: number[][][];
}
export interface MultiPolygonGeometry {
  type: 'MultiPolygon';
  coordinates: number[][][][];
}
export type GridGeometry = PolygonGeometry | MultiPolygonGeometry;

export interface GridRecord {
  id: string;
  code: string;
  name: string;
  /** The community (社区·村) organisation the grid lies in. */
  communityOrgId: string;
  geometry: GridGeometry;
}
