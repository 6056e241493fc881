import { describe, expect, it } from 'vitest';
import { NGSI_ERROR_BASE, NgsiError, isSupportedType, ngsiError, parseObservation, problemDetails } from './alerts.ngsi.js';

const now = new Date('2024-05-01T08:00:00.000Z');
const BAD = `${NGSI_ERROR_BASE}BadRequestData`;

function errorOf(entity: unknown): NgsiError {
  try {
    parseObservation(entity, { now });
  } catch (e) {
    expect(e).toBeInstanceOf(NgsiError);
    return e as NgsiError;
  }
  throw new Error('expected an NgsiError');
}

const normalized = {
  id: 'urn:ngsi-ld:WaterQualityObserved:WQ-001',
  type: 'WaterQualityObserved',
  dateObserved: { type: 'Property', value: { '@type': 'DateTime', '@value': '2024-05-01T07:00:00Z' } },
  location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [120.15, 30.28] } },
  refDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:WQ-9' },
  O2: { type: 'Property', value: 6.2, unitCode: 'M1', observedAt: '2024-05-01T07:55:00Z' },
  NH4: { type: 'Property', value: 1.2, unitCode: 'M1', observedAt: '2024-05-01T07:56:00Z' },
  'P-TOT': { type: 'Property', value: 0.18, observedAt: '2024-05-01T07:55:00Z' },
  cod: { type: 'Property', value: 18 },
  bod: { type: 'Property', value: 3.5 },
  pH: { type: 'Property', value: 7.4 },
  temperature: { type: 'Property', value: 21.5, unitCode: 'CEL' },
  turbidity: { type: 'Property', value: 12 },
  conductivity: { type: 'Property', value: 410 },
  name: { type: 'Property', value: '钱塘江断面' },
  measurand: { type: 'Property', value: ['CODMn, 4.2, mg/L, 高锰酸盐指数'] },
  '@context': ['https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld', 'https://raw.githubusercontent.com/smart-data-models/dataModel.WaterQuality/master/context.jsonld'],
};

describe('parseObservation: WaterQualityObserved', () => {
  it('reads the normalized representation into canonical values', () => {
    const o = parseObservation(normalized, { now });
    expect(o).toEqual({
      entityId: 'urn:ngsi-ld:WaterQualityObserved:WQ-001',
      entityType: 'WaterQualityObserved',
      deviceCode: 'WQ-9',
      observedAt: new Date('2024-05-01T07:56:00Z'),
      values: { DO: 6.2, NH3N: 1.2, TP: 0.18, COD: 18, BOD5: 3.5, pH: 7.4, temperature: 21.5, turbidity: 12, conductivity: 410, CODMn: 4.2 },
      location: { lng: 120.15, lat: 30.28 },
    });
  });

  it('reads the concise representation (no type members) the same way', () => {
    const concise = {
      id: 'urn:ngsi-ld:WaterQualityObserved:WQ-001',
      type: 'WaterQualityObserved',
      dateObserved: '2024-05-01T07:00:00Z',
      location: { value: { type: 'Point', coordinates: [120.15, 30.28] } },
      refDevice: { object: 'urn:ngsi-ld:Device:WQ-9' },
      O2: { value: 6.2, observedAt: '2024-05-01T07:56:00Z' },
      NH4: { value: 1.2 },
    };
    const o = parseObservation(concise, { now });
    expect(o).toMatchObject({ deviceCode: 'WQ-9', observedAt: new Date('2024-05-01T07:56:00Z'), values: { DO: 6.2, NH3N: 1.2 }, location: { lng: 120.15, lat: 30.28 } });
  });

  it('reads keyValues (plain values) with dateObserved as the time', () => {
    const o = parseObservation(
      {
        id: 'urn:ngsi-ld:WaterQualityObserved:WQ-002',
        type: 'WaterQualityObserved',
        dateObserved: '2024-05-01T07:30:00Z',
        location: { type: 'Point', coordinates: [120.1, 30.2] },
        O2: 7.9,
        NH4: 0.1,
        'P-TOT': 0.02,
        NO3: 0.3,
        measurand: ['CODMn, 1.9, M1, 高锰酸盐指数'],
      },
      { now },
    );
    expect(o).toMatchObject({ deviceCode: 'WQ-002', observedAt: new Date('2024-05-01T07:30:00Z'), values: { DO: 7.9, NH3N: 0.1, TP: 0.02, NO3: 0.3, CODMn: 1.9 }, location: { lng: 120.1, lat: 30.2 } });
  });

  it('takes the end of an ISO 8601 interval, and now when no time is given', () => {
    expect(parseObservation({ id: 'urn:ngsi-ld:WaterQualityObserved:A1', type: 'WaterQualityObserved', dateObserved: '2024-05-01T06:00:00Z/2024-05-01T07:00:00Z', pH: 7 }, { now }).observedAt).toEqual(new Date('2024-05-01T07:00:00Z'));
    expect(parseObservation({ id: 'urn:ngsi-ld:WaterQualityObserved:A1', type: 'WaterQualityObserved', pH: 7 }, { now }).observedAt).toEqual(now);
  });

  it('accepts expanded type and attribute URIs, and a list of types', () => {
    const o = parseObservation(
      {
        id: 'urn:ngsi-ld:WaterQualityObserved:WQ-003',
        type: 'https://smartdatamodels.org/dataModel.Environment/WaterQualityObserved',
        'https://smartdatamodels.org/dataModel.Environment/NH4': { type: 'Property', value: 0.7 },
        'https://w3id.org/saref#temperature': { type: 'Property', value: 18 },
      },
      { now },
    );
    expect(o).toMatchObject({ entityType: 'WaterQualityObserved', values: { NH3N: 0.7, temperature: 18 } });
    expect(parseObservation({ id: 'urn:x:A1', type: ['Sensor', 'WaterQualityObserved'], pH: 7 }, { now }).entityType).toBe('WaterQualityObserved');
  });

  it('carries CODMn and others in the measurand list, converting units', () => {
    const o = parseObservation(
      {
        id: 'urn:ngsi-ld:WaterQualityObserved:WQ-004',
        type: 'WaterQualityObserved',
        measurand: ['CODMn, 4.2, mg/L, 高锰酸盐指数', 'TP, 80, GQ, 总磷（µg/L）', 'NH3-N, 0.9, M1, 氨氮', 'Chla, 12, GQ, 叶绿素a'],
      },
      { now },
    );
    expect(o.values).toEqual({ CODMn: 4.2, TP: 0.08, NH3N: 0.9, Chla: 12 });
  });

  it('a property wins over the measurand list for the same quantity', () => {
    const o = parseObservation({ id: 'urn:x:A1', type: 'WaterQualityObserved', NH4: 1.1, measurand: ['NH4, 9, M1, x'] }, { now });
    expect(o.values).toEqual({ NH3N: 1.1 });
  });

  it('takes the device from refDevice, else the id suffix', () => {
    const base = { type: 'WaterQualityObserved', pH: 7 };
    expect(parseObservation({ ...base, id: 'urn:ngsi-ld:WaterQualityObserved:WQ-001' }, { now }).deviceCode).toBe('WQ-001');
    expect(parseObservation({ ...base, id: 'urn:ngsi-ld:WaterQualityObserved:WQ-001', refDevice: 'urn:ngsi-ld:Device:DEV-7' }, { now }).deviceCode).toBe('DEV-7');
    expect(parseObservation({ ...base, id: 'urn:ngsi-ld:WaterQualityObserved:WQ-001', refDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:DEV-8' } }, { now }).deviceCode).toBe('DEV-8');
  });
});

describe('parseObservation: WaterConsumptionObserved', () => {
  it('reads the Smart Data Models example: litres to m³, observedBy as the device, the alarm flags', () => {
    const by = { type: 'Relationship', object: 'urn:ngsi-ld:Device:WM-0001' };
    const o = parseObservation(
      {
        id: 'urn:ngsi-ld:Consumer:Consumer01',
        type: 'WaterConsumptionObserved',
        alarmFlowPersistence: { type: 'Property', observedBy: by, value: 'In progress persistence', observedAt: '2024-05-01T07:14:16.000Z' },
        alarmInProgress: { type: 'Property', observedBy: by, value: 1, observedAt: '2024-05-01T07:14:16.000Z' },
        persistenceFlowDuration: { type: 'Property', value: '3h < 6h', unitCode: 'HUR' },
        maxFlow: { type: 'Property', value: 620, unitCode: 'E32' },
        waterConsumption: { type: 'Property', observedBy: by, value: 191051, observedAt: '2024-05-01T07:14:16.000Z', unitCode: 'LTR' },
        location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [-4.128871, 50.95822] } },
      },
      { now },
    );
    expect(o).toEqual({
      entityId: 'urn:ngsi-ld:Consumer:Consumer01',
      entityType: 'WaterConsumptionObserved',
      deviceCode: 'WM-0001',
      observedAt: new Date('2024-05-01T07:14:16.000Z'),
      values: { alarmFlowPersistence: 1, alarmInProgress: 1, maxFlow: 620, waterConsumption: 191.051 },
      location: { lng: -4.128871, lat: 50.95822 },
    });
  });

  it('keeps m³ as it is; the expanded type URI is accepted', () => {
    const o = parseObservation({ id: 'urn:ngsi-ld:WaterConsumptionObserved:WM-2', type: 'https://smartdatamodels.org/dataModel.WaterConsumption/WaterConsumptionObserved', waterConsumption: { type: 'Property', value: 12.345, unitCode: 'MTQ' } }, { now });
    expect(o).toMatchObject({ entityType: 'WaterConsumptionObserved', deviceCode: 'WM-2', values: { waterConsumption: 12.345 }, location: null });
  });
});

describe('parseObservation: errors are 400 BadRequestData naming the attribute', () => {
  it.each([
    ['not an object', [], 'entity'],
    ['no id', { type: 'WaterQualityObserved', pH: 7 }, 'id'],
    ['an id that is not a URI', { id: 'WQ 001', type: 'WaterQualityObserved', pH: 7 }, 'id'],
    ['no type', { id: 'urn:x:A1', pH: 7 }, 'type'],
    ['an unsupported type', { id: 'urn:x:A1', type: 'AirQualityObserved', pH: 7 }, 'AirQualityObserved'],
    ['a text value', { id: 'urn:x:A1', type: 'WaterQualityObserved', NH4: { type: 'Property', value: '0.5' } }, 'NH4'],
    ['a boolean value', { id: 'urn:x:A1', type: 'WaterQualityObserved', O2: true }, 'O2'],
    ['NGSI-LD null', { id: 'urn:x:A1', type: 'WaterQualityObserved', pH: { type: 'Property', value: 'urn:ngsi-ld:null' } }, 'pH'],
    ['a negative concentration', { id: 'urn:x:A1', type: 'WaterQualityObserved', cod: -3 }, 'cod'],
    ['a pH out of range', { id: 'urn:x:A1', type: 'WaterQualityObserved', pH: 15 }, 'pH'],
    ['an unknown unit', { id: 'urn:x:A1', type: 'WaterQualityObserved', NH4: { type: 'Property', value: 1, unitCode: 'KGM' } }, 'NH4.unitCode'],
    ['a measurand without a number', { id: 'urn:x:A1', type: 'WaterQualityObserved', measurand: ['CODMn, high, M1, 高锰酸盐指数'] }, 'measurand[0]'],
    ['a measurand that is not text', { id: 'urn:x:A1', type: 'WaterQualityObserved', pH: 7, measurand: [4.2] }, 'measurand[0]'],
    ['a bad measurand unit', { id: 'urn:x:A1', type: 'WaterQualityObserved', measurand: ['pH, 7, , x', 'CODMn, 4, KGM, x'] }, 'measurand[1]'],
    ['a bad observedAt', { id: 'urn:x:A1', type: 'WaterQualityObserved', O2: { type: 'Property', value: 7, observedAt: 'yesterday' } }, 'O2.observedAt'],
    ['a bad dateObserved', { id: 'urn:x:A1', type: 'WaterQualityObserved', dateObserved: 20240501, O2: 7 }, 'dateObserved'],
    ['a time in the future', { id: 'urn:x:A1', type: 'WaterQualityObserved', dateObserved: '2024-05-01T09:00:00Z', O2: 7 }, 'dateObserved'],
    ['a bad location', { id: 'urn:x:A1', type: 'WaterQualityObserved', O2: 7, location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [300, 30] } } }, 'location'],
    ['a refDevice that is not a URI', { id: 'urn:x:A1', type: 'WaterQualityObserved', O2: 7, refDevice: { type: 'Relationship', object: 42 } }, 'refDevice'],
    ['no measurement at all', { id: 'urn:x:A1', type: 'WaterConsumptionObserved', name: 'meter' }, 'waterConsumption'],
    ['an id without a device code', { id: 'urn:x:', type: 'WaterQualityObserved', O2: 7 }, 'id'],
  ])('%s', (_what, entity, named) => {
    const e = errorOf(entity);
    expect(e.status).toBe(400);
    expect(e.type).toBe(BAD);
    expect(e.title).toBe('Bad request data');
    expect(e.detail).toContain(named);
  });
});

describe('types and ProblemDetails', () => {
  it('isSupportedType accepts short and expanded names of the two models only', () => {
    expect(isSupportedType('WaterQualityObserved')).toBe(true);
    expect(isSupportedType('WaterConsumptionObserved')).toBe(true);
    expect(isSupportedType('https://smartdatamodels.org/dataModel.Environment/WaterQualityObserved')).toBe(true);
    expect(isSupportedType('https://uri.fiware.org/ns/data-models#WaterQualityObserved')).toBe(true);
    expect(isSupportedType('AirQualityObserved')).toBe(false);
    expect(isSupportedType('https://smartdatamodels.org/dataModel.Environment/AirQualityObserved')).toBe(false);
    expect(isSupportedType('')).toBe(false);
  });

  it('problemDetails is the RFC 7807 body, with the instance when given', () => {
    const e = new NgsiError(404, `${NGSI_ERROR_BASE}ResourceNotFound`, 'Not found', 'entity urn:x:1 not found');
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toBe('entity urn:x:1 not found');
    expect(problemDetails(e)).toEqual({ type: 'https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound', title: 'Not found', status: 404, detail: 'entity urn:x:1 not found' });
    expect(problemDetails(e, '/ngsi-ld/v1/entities')).toMatchObject({ instance: '/ngsi-ld/v1/entities' });
  });

  it('ngsiError maps each error type to its status', () => {
    expect(ngsiError('AlreadyExists', 'x')).toMatchObject({ status: 409, type: 'https://uri.etsi.org/ngsi-ld/errors/AlreadyExists' });
    expect(ngsiError('InvalidRequest', 'x').status).toBe(400);
    expect(ngsiError('OperationNotSupported', 'x').status).toBe(422);
    expect(ngsiError('ResourceNotFound', 'x').status).toBe(404);
    expect(ngsiError('InternalError', 'x').status).toBe(500);
  });
});
