import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateGridLattice } from '../demo/index.js';
import { GridIndex, pointInGeometry } from './grid-index.js';

describe('GridIndex', () => {
  const bbox: [number, number, number, number] = [120.45, 30.3, 120.85, 30.55];
  const grids = generateGridLattice({ seed: 3, count: 900, bbox }).map((geometry, i) => ({ id: `g${i}`, geometry }));
  const index = new GridIndex(grids);

  it('answers exactly like a scan of every polygon, for any point', () => {
    fc.assert(
      fc.property(fc.double({ min: 120.4, max: 120.9, noNaN: true }), fc.double({ min: 30.25, max: 30.6, noNaN: true }), (lng, lat) => {
        expect(index.locate(lng, lat)).toBe(index.locateBruteForce(lng, lat));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds a grid for points inside the tiled area and none outside', () => {
    expect(index.locate(120.65, 30.42)).not.toBeNull();
    expect(index.locate(121.5, 30.42)).toBeNull();
    expect(new GridIndex([]).locate(120.65, 30.42)).toBeNull();
  });

  it('respects holes and multipolygons', () => {
    const donut = {
      type: 'MultiPolygon' as const,
      coordinates: [
        [
          [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
          [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
        ],
        [[[20, 0], [22, 0], [22, 2], [20, 2], [20, 0]]],
      ],
    };
    expect(pointInGeometry(1, 1, donut)).toBe(true);
    expect(pointInGeometry(5, 5, donut)).toBe(false);
    expect(pointInGeometry(21, 1, donut)).toBe(true);
    expect(pointInGeometry(15, 1, donut)).toBe(false);
    const i = new GridIndex([{ id: 'd', geometry: donut }]);
    expect(i.locate(5, 5)).toBeNull();
    expect(i.locate(21, 1)).toBe('d');
  });
});
