/**
 * Evaluation of the address matcher on a labelled set of free-text queries (used by the
 * labelled test and the benchmark). Pure: no I/O, no timing.
 */
import type { AddressMatcher } from './address-matcher.js';

export interface LabelledQuery {
  /** Free text as a person types it. */
  q: string;
  /** Standard fullText of the record the text means. */
  expected: string;
  /** Variant class of the query (typo, road_alias, …). */
  kind: string;
}

export interface KindStats {
  total: number;
  top1: number;
  accuracy: number;
}

export interface LabelledFailure {
  q: string;
  kind: string;
  expected: string;
  got: string | null;
  confidence: number | null;
  /** Whether the expected record is among the alternatives. */
  inAlternatives: boolean;
}

export interface LabelledEvaluation {
  total: number;
  top1: number;
  accuracy: number;
  byKind: Record<string, KindStats>;
  failures: LabelledFailure[];
}

export function evaluateLabelled(matcher: AddressMatcher, labelled: readonly LabelledQuery[]): LabelledEvaluation {
  const byKind: Record<string, KindStats> = {};
  const failures: LabelledFailure[] = [];
  let top1 = 0;
  for (const item of labelled) {
    const stats = (byKind[item.kind] ??= { total: 0, top1: 0, accuracy: 0 });
    stats.total++;
    const res = matcher.match(item.q);
    const got = res.best?.record.fullText ?? null;
    if (got === item.expected) {
      stats.top1++;
      top1++;
    } else {
      failures.push({
        q: item.q,
        kind: item.kind,
        expected: item.expected,
        got,
        confidence: res.best?.confidence ?? null,
        inAlternatives: res.alternatives.some((a) => a.record.fullText === item.expected),
      });
    }
  }
  for (const s of Object.values(byKind)) s.accuracy = s.total > 0 ? s.top1 / s.total : 0;
  const total = labelled.length;
  return { total, top1, accuracy: total > 0 ? top1 / total : 0, byKind, failures };
}
