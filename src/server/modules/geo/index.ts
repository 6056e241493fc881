/** Public surface of the geo module: the unified address library and grids. */
export { createGeoService, validateGeometry, type GeoService, type Place } from './geo.service.js';
export { registerGeoRoutes } from './geo.routes.js';
export { GridIndex, pointInGeometry, pointInRing, bboxOf } from './grid-index.js';
export { insertAddresses, insertGrid, replaceWorkersOfGrid } from './geo.repository.js';
export * from './geo.types.js';
