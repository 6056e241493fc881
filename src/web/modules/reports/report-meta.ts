/**
 * Shared vocabulary of the 事件中枢 pages: colours of statuses and priorities, the category
 * tree (cached for the page load), duration texts and a shared ticking clock for countdowns.
 */
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { FormInstance } from 'antd';
import { api, ApiError, type Org, type ReportAction, type ReportCategory, type ReportStatus } from '../../api';
import { localizeServerMessage, type TFunc } from '../../i18n';

export const STATUS_COLORS: Record<ReportStatus, string> = {
  reported: 'orange',
  accepted: 'gold',
  registered: 'cyan',
  dispatched: 'blue',
  handled: 'geekblue',
  verified: 'purple',
  closed: 'green',
  suspended: 'default',
  voided: 'default',
};

/** The same statuses as map colours (points on the case map). */
export const STATUS_HEX: Record<ReportStatus, string> = {
  reported: '#f97316',
  accepted: '#eab308',
  registered: '#0891b2',
  dispatched: '#2563eb',
  handled: '#4f46e5',
  verified: '#9333ea',
  closed: '#16a34a',
  suspended: '#64748b',
  voided: '#94a3b8',
};

export const PRIORITY_COLORS: Record<string, string> = { urgent: 'red', high: 'orange', normal: 'blue', low: 'default' };

export const OPEN_STATUSES: ReportStatus[] = ['reported', 'accepted', 'registered', 'dispatched', 'handled', 'verified', 'suspended'];

/** Steps that move a case forward: shown as primary buttons. */
export const FORWARD_ACTIONS: ReportAction[] = ['accept', 'register', 'dispatch', 'handle', 'verify', 'close', 'resume'];
/** Steps that need a reason (the server answers 400 without one). */
export const REASON_ACTIONS: ReportAction[] = ['return', 'suspend', 'void', 'reopen'];
export const DANGER_ACTIONS: ReportAction[] = ['void', 'return', 'suspend'];

/** "2天3小时", "45分钟", "1 d 3 h" — minutes rounded, at most two units. */
export function durationText(minutes: number, t: TFunc): string {
  const m = Math.max(0, Math.round(Math.abs(minutes)));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const min = m % 60;
  const parts: string[] = [];
  if (d) parts.push(t('rep.days', { n: d }));
  if (h) parts.push(t('rep.hours', { n: h }));
  if (!d && (min || !h)) parts.push(t('rep.minutes', { n: min }));
  return parts.slice(0, 2).join(' ');
}

/** Minutes → hours for forms and charts (two decimals at most). */
export function toHours(minutes: number | null | undefined): number | null {
  if (minutes === null || minutes === undefined) return null;
  return Math.round((minutes / 60) * 100) / 100;
}

// ---------------------------------------------------------------- a shared clock

let now = Date.now();
const clockListeners = new Set<() => void>();
let clockTimer: ReturnType<typeof setInterval> | null = null;

function subscribeClock(cb: () => void) {
  clockListeners.add(cb);
  if (!clockTimer) {
    clockTimer = setInterval(() => {
      now = Date.now();
      clockListeners.forEach((l) => l());
    }, 20_000);
  }
  return () => {
    clockListeners.delete(cb);
    if (!clockListeners.size && clockTimer) {
      clearInterval(clockTimer);
      clockTimer = null;
    }
  };
}

/** The current time, refreshed every 20 s for every countdown on the page at once. */
export function useNow(): number {
  return useSyncExternalStore(subscribeClock, () => now);
}

// ---------------------------------------------------------------- categories

let categoryCache: Promise<ReportCategory[]> | null = null;
const categoryListeners = new Set<(c: ReportCategory[]) => void>();

function fetchCategories(force = false): Promise<ReportCategory[]> {
  if (!categoryCache || force) {
    categoryCache = api.reportCategories.list();
    categoryCache.then((c) => categoryListeners.forEach((l) => l(c))).catch(() => (categoryCache = null));
  }
  return categoryCache;
}

export interface CategoryOption {
  value: string;
  title: string;
  selectable?: boolean;
  disabled?: boolean;
  children?: CategoryOption[];
}

/** The category tree, cached for the page load; `refresh` after editing. */
export function useReportCategories() {
  const [list, setList] = useState<ReportCategory[]>([]);
  useEffect(() => {
    let alive = true;
    const l = (c: ReportCategory[]) => alive && setList(c);
    categoryListeners.add(l);
    fetchCategories()
      .then(l)
      .catch(() => undefined);
    return () => {
      alive = false;
      categoryListeners.delete(l);
    };
  }, []);
  const byCode = useMemo(() => new Map(list.map((c) => [c.code, c])), [list]);
  const name = useCallback((code: string | null | undefined) => (code ? (byCode.get(code)?.name ?? code) : ''), [byCode]);
  const refresh = useCallback(() => fetchCategories(true), []);
  return { list, byCode, name, refresh };
}

/**
 * TreeSelect data: groups with their leaves. `leavesOnly` makes groups unselectable (cases
 * take a leaf category); inactive categories are left out unless `includeInactive`.
 */
export function categoryTree(list: ReportCategory[], opts: { leavesOnly?: boolean; includeInactive?: boolean } = {}): CategoryOption[] {
  const visible = list.filter((c) => opts.includeInactive || c.active);
  const groups = visible.filter((c) => !c.parentCode).sort((a, b) => a.code.localeCompare(b.code));
  return groups
    .map((g) => ({
      value: g.code,
      title: `${g.code} ${g.name}`,
      selectable: !opts.leavesOnly,
      children: visible
        .filter((c) => c.parentCode === g.code)
        .sort((a, b) => a.code.localeCompare(b.code))
        .map((c) => ({ value: c.code, title: `${c.code} ${c.name}` })),
    }))
    .filter((g) => g.children.length || !opts.leavesOnly);
}

// ---------------------------------------------------------------- organisations

/** Organisations that can receive a case (departments, agencies, streets, communities). */
export function dispatchTargets(orgs: Org[]): Org[] {
  return orgs.filter((o) => o.kind === 'department' || o.kind === 'agency' || o.kind === 'street' || o.kind === 'community');
}

/** "浙江省嘉兴市海宁市硖石街道…" → "海宁市硖石街道…": the province and city say nothing inside one county. */
export function shortAddress(text: string): string {
  return text.replace(/^[^省]{2,8}省[^市]{2,8}市(?=.{2,}(市|县|区))/, '');
}

const shortTimeFormats = new Map<string, Intl.DateTimeFormat>();
/** "11/23 22:30" in Beijing time, for narrow columns (the full time goes in a tooltip). */
export function shortTime(iso: string, lang: string): string {
  let f = shortTimeFormats.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'zh-CN' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
    shortTimeFormats.set(lang, f);
  }
  return f.format(new Date(iso));
}

/** "硖石街道 · 文苑社区 · 文苑社区第3网格" */
export function areaText(r: { streetName: string | null; communityName: string | null; gridName: string | null }): string {
  return [r.streetName, r.communityName, r.gridName].filter(Boolean).join(' · ');
}

/** Puts a 400 answer's field errors ("limits.handle", "deptType") on the form; false when none matched. */
export function setServerErrors(form: FormInstance, e: unknown, known: string[]): boolean {
  if (!(e instanceof ApiError) || e.status !== 400 || !Array.isArray(e.details)) return false;
  let matched = false;
  for (const d of e.details as { field?: string; message?: string }[]) {
    if (!d.field) continue;
    const name = d.field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    if (!known.includes(String(name[0]))) continue;
    form.setFields([{ name: name.length === 1 && name[0] === 'limits' ? ['limits', 'accept'] : name, errors: [localizeServerMessage(d.message ?? e.message)] }]);
    matched = true;
  }
  return matched;
}
