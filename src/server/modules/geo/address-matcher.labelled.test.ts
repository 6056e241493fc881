import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateDemoDistrict } from '../demo/demo.generator.js';
import { AddressMatcher } from './address-matcher.js';
import { evaluateLabelled, type LabelledQuery } from './address-matcher.eval.js';

const labelled = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/address-labelled.json', import.meta.url), 'utf8'),
) as LabelledQuery[];
const district = generateDemoDistrict();
const matcher = new AddressMatcher(district.addresses);

describe('address matcher on the labelled set (demo district, default seed)', () => {
  it('has at least 220 well-formed queries', () => {
    expect(labelled.length).toBeGreaterThanOrEqual(220);
    for (const x of labelled) {
      expect(typeof x.q).toBe('string');
      expect(x.q.length).toBeGreaterThan(0);
      expect(typeof x.kind).toBe('string');
    }
  });

  it('every expected record exists in the district', () => {
    const fullTexts = new Set(district.addresses.map((a) => a.fullText));
    const missing = labelled.filter((x) => !fullTexts.has(x.expected)).map((x) => x.expected);
    expect(missing).toEqual([]);
  });

  it('top-1 accuracy ≥ 0.90', () => {
    const ev = evaluateLabelled(matcher, labelled);
    const lines = Object.entries(ev.byKind)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([k, s]) => `  ${k.padEnd(20)} ${String(s.top1).padStart(3)}/${String(s.total).padEnd(3)} ${(s.accuracy * 100).toFixed(1)}%`);
    console.log(
      [
        `labelled address queries: top-1 ${ev.top1}/${ev.total} = ${(ev.accuracy * 100).toFixed(1)}%`,
        ...lines,
        ...ev.failures.map((f) => `  ✗ [${f.kind}] ${f.q} → ${f.got ?? 'null'} (${f.confidence ?? '-'}), expected ${f.expected}`),
      ].join('\n'),
    );
    expect(ev.total).toBe(labelled.length);
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.9);
  });
});

/**
 * A second set, written by hand by someone who never saw the matcher or the first set
 * (test/fixtures/address-heldout.json): the honest figure of how well free text resolves.
 */
const heldout = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/address-heldout.json', import.meta.url), 'utf8'),
) as LabelledQuery[];

describe('address matcher on the independent held-out set', () => {
  it('every expected record exists and top-1 accuracy ≥ 0.90', () => {
    const fullTexts = new Set(district.addresses.map((a) => a.fullText));
    expect(heldout.length).toBeGreaterThanOrEqual(150);
    expect(heldout.filter((x) => !fullTexts.has(x.expected))).toEqual([]);
    const ev = evaluateLabelled(matcher, heldout);
    console.log(`held-out address queries: top-1 ${ev.top1}/${ev.total} = ${(ev.accuracy * 100).toFixed(1)}%`);
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.9);
  });
});
