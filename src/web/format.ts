/**
 * Display helpers. Every timestamp is shown in Beijing time whatever the browser's zone,
 * because the console is used by one district and its records are discussed in local time.
 */
import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';
import type { Lang } from './i18n';

dayjs.extend(utc);
dayjs.extend(timezone);

export const TIME_ZONE = 'Asia/Shanghai';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(lang: Lang): Intl.DateTimeFormat {
  let f = formatters.get(lang);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'zh-CN' ? 'zh-CN' : 'en-GB', {
      timeZone: TIME_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    });
    formatters.set(lang, f);
  }
  return f;
}

/** "2025/03/08 14:05:09" in Beijing time. */
export function formatTime(value: string | number | Date | null | undefined, lang: Lang = 'zh-CN'): string {
  if (value === null || value === undefined || value === '') return '';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return formatter(lang).format(d);
}

/**
 * Reads a date picker value as Beijing wall-clock time and returns the instant as ISO 8601,
 * so "2025-03-08 00:00" means midnight in Haining even on a laptop set to another zone.
 */
export function shanghaiIso(value: Dayjs | null | undefined): string | undefined {
  if (!value) return undefined;
  return dayjs.tz(value.format('YYYY-MM-DD HH:mm:ss'), TIME_ZONE).toISOString();
}

/** 0.873 → "87%". */
export function percent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '';
  return `${Math.round(value * 100)}%`;
}

/** Confidence colour for tags: green ≥ 0.85, gold ≥ 0.6, otherwise red. */
export function confidenceColor(value: number): string {
  if (value >= 0.85) return 'green';
  if (value >= 0.6) return 'gold';
  return 'red';
}

export function formatNumber(n: number | null | undefined, lang: Lang = 'zh-CN'): string {
  if (n === null || n === undefined) return '–';
  return n.toLocaleString(lang);
}

export function formatCoord(lng: number | null | undefined, lat: number | null | undefined): string {
  if (lng === null || lng === undefined || lat === null || lat === undefined) return '';
  return `${lng.toFixed(6)}, ${lat.toFixed(6)}`;
}
