/**
 * Shared vocabulary of the 预警中心 pages: level and status colours, labels of codes through
 * the console's dictionary, the GB 3838-2002 limits drawn on water-quality charts, a polling
 * hook for long jobs and the live-refresh match of warning lists.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type Job, type LiveEvent } from '../../api';
import type { Lang, MsgKey, TFunc } from '../../i18n';
import type { DeviceType, Level, Outcome, ReconImportKind, RuleKind, WarningStatus } from './alerts-api';

/** 红 / 黄 / 绿: the district's warning colours (green is the mildest warning, not "all clear"). */
export const LEVEL_HEX: Record<Level, string> = { red: '#dc2626', yellow: '#eab308', green: '#16a34a' };
/** Text on a filled level tag: dark on yellow, white on red and green, so every tag reads. */
export const LEVEL_TEXT: Record<Level, string> = { red: '#ffffff', yellow: '#3f2a00', green: '#ffffff' };

export const STATUS_COLORS: Record<WarningStatus, string> = {
  open: 'orange',
  verifying: 'blue',
  confirmed: 'volcano',
  false_alarm: 'default',
  handled: 'green',
};

export const levelLabel = (t: TFunc, l: string) => t(`al.level.${l}` as MsgKey);
export const statusLabel = (t: TFunc, s: string) => t(`al.status.${s}` as MsgKey);
export const outcomeLabel = (t: TFunc, o: Outcome | string) => t(`al.outcome.${o}` as MsgKey);
export const kindLabel = (t: TFunc, k: RuleKind | string) => t(`al.kind.${k}` as MsgKey);
export const deviceTypeLabel = (t: TFunc, d: DeviceType | string | null | undefined) => (d ? t(`al.deviceType.${d}` as MsgKey) : t('al.anyDeviceType'));
export const taskCategoryLabel = (t: TFunc, c: string) => `${c} ${t(`al.task.${c}` as MsgKey)}`;
export const importKindLabel = (t: TFunc, k: ReconImportKind | string) => t(`al.importKind.${k}` as MsgKey);

/** Indicator names of the readings with their units (what the charts call them). */
export const INDICATOR_UNITS: Record<string, string> = {
  DO: 'mg/L',
  CODMn: 'mg/L',
  COD: 'mg/L',
  BOD5: 'mg/L',
  NH3N: 'mg/L',
  TP: 'mg/L',
  pH: '',
  temperature: '℃',
  turbidity: 'NTU',
  flow: 'm³/h',
  total: 'm³',
  cumulative: 'm³',
  volume: 'm³',
};

export function indicatorLabel(t: TFunc, key: string): string {
  const k = `al.ind.${key}` as MsgKey;
  const text = t(k);
  return text === k ? key : text;
}


/**
 * GB 3838-2002 table 1, the upper limit of classes Ⅰ–Ⅴ (mg/L); dissolved oxygen is a lower
 * limit (more is better). Total phosphorus is stricter in lakes and reservoirs.
 */
export const GB3838: Record<string, { limits: number[]; lakeLimits?: number[]; lowerIsWorse?: boolean }> = {
  DO: { limits: [7.5, 6, 5, 3, 2], lowerIsWorse: true },
  CODMn: { limits: [2, 4, 6, 10, 15] },
  COD: { limits: [15, 15, 20, 30, 40] },
  BOD5: { limits: [3, 3, 4, 6, 10] },
  NH3N: { limits: [0.15, 0.5, 1.0, 1.5, 2.0] },
  TP: { limits: [0.02, 0.1, 0.2, 0.3, 0.4], lakeLimits: [0.01, 0.025, 0.05, 0.1, 0.2] },
};

/** Colours of the water classes Ⅰ…劣Ⅴ (the usual blue → red scale of water reports). */
export const CLASS_HEX = ['#0ea5e9', '#2563eb', '#16a34a', '#d97706', '#ea580c', '#dc2626'];

/** The indicators of a readings answer as plain keys. */
export function indicatorKeys(list: (string | { key: string })[] | undefined): string[] {
  return (list ?? []).map((i) => (typeof i === 'string' ? i : i.key));
}

/** Warning lists reload on warning events and on their tasks' changes (status, deadline). */
export const isWarningListEvent = (e: LiveEvent) =>
  e.subjectType === 'alert_warning' || e.type.startsWith('alert.') || e.type === 'report.created' || e.type === 'report.changed';

const POLL_MS = 700;

/**
 * Follows a long job (GET /jobs/:id) until it ends; `start(jobId)` begins, `reset()` forgets.
 * A transient error does not lose the job: polling goes on more slowly.
 */
export function useJob(onDone?: (job: Job) => void) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  const current = useRef<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const doneRef = useRef(onDone);
  doneRef.current = onDone;

  const stop = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    current.current = null;
  }, []);
  useEffect(() => stop, [stop]);

  const start = useCallback(
    (jobId: string, kind = 'job') => {
      stop();
      current.current = jobId;
      setError(null);
      setJob({ id: jobId, kind, status: 'running', progress: 0, processed: 0, total: 0, result: null, errors: [] });
      let failures = 0;
      const tick = async () => {
        if (current.current !== jobId) return;
        try {
          const j = await api.jobs.get(jobId);
          if (current.current !== jobId) return;
          failures = 0;
          setJob(j);
          if (j.status === 'running') timer.current = setTimeout(tick, POLL_MS);
          else doneRef.current?.(j);
        } catch (e) {
          if (current.current !== jobId) return;
          failures++;
          if (failures > 5) {
            setError(e instanceof Error ? e.message : String(e));
            return;
          }
          timer.current = setTimeout(tick, POLL_MS * 3);
        }
      };
      timer.current = setTimeout(tick, 200);
    },
    [stop],
  );

  const reset = useCallback(() => {
    stop();
    setJob(null);
    setError(null);
  }, [stop]);

  return { job, error, start, reset, running: job?.status === 'running' };
}

/** 0..1 of a job; some jobs only count processed/total. */
export function jobPercent(job: Job | null): number {
  if (!job) return 0;
  if (job.status === 'succeeded') return 100;
  const p = typeof job.progress === 'number' && job.progress > 0 ? job.progress : job.total ? job.processed / job.total : 0;
  return Math.max(0, Math.min(99, Math.round(p * 100)));
}

/**
 * The import checker's row messages are English (the API's language); the Chinese console
 * shows the ones it knows in Chinese, keeping the values they quote.
 */
const JOB_PHRASES: [RegExp, string][] = [
  [/^required$/i, '必填'],
  [/^at most (\d+) characters$/i, '最多 $1 个字符'],
  [/^stored as a number, which loses its last digits \((.+)\): format the column as text$/i, '以数字格式保存，末几位已丢失（$1）：请将该列设为文本格式'],
  [/^(.+): must be 18 characters: 17 digits and a check digit \(0-9 or X\)$/i, '$1：须为 18 位（17 位数字加 1 位校验码 0–9 或 X）'],
  [/^(.+): the birth date in it is not a valid date$/i, '$1：其中的出生日期无效'],
  [/^(.+): the check digit is wrong \(GB 11643\)$/i, '$1：校验码错误（GB 11643）'],
  [/^(.+): must be 18 characters of 0-9 and A-Y without I, O, S, V, Z$/i, '$1：须为 18 位（0–9、A–Y，不含 I、O、S、V、Z）'],
  [/^(.+): the check character is wrong \(GB 32100\)$/i, '$1：校验码错误（GB 32100）'],
  [/^not a date: (.+) \(write it as [^)]+\)$/i, '不是有效日期：$1（请写作 2025-03-01）'],
  [/^not a date and time: (.+) \(write it as [^)]+\)$/i, '不是有效的日期时间：$1（请写作 2025-03-01 08:30:00，北京时间）'],
  [/^in the future: (.+)$/i, '时间晚于当前：$1'],
  [/^missing column (.+) \(the first row must hold the column names\)$/i, '缺少“$1”列（第一行须为列名）'],
  [/^too many rows: at most (\d+) per file; split the file$/i, '行数过多：每个文件最多 $1 行，请拆分后导入'],
  [/^the file is empty$/i, '文件为空'],
  [/^the file has no data rows$/i, '文件中没有数据行'],
  [/^not a readable (CSV|xlsx) file: (.*)$/i, '无法读取的 $1 文件：$2'],
  [/^not a readable multipart\/form-data body$/i, '上传内容无法读取'],
  [/^interrupted by a restart$/i, '服务重启，任务中断，请重新导入'],
];

export function localizeJobMessage(lang: Lang, message: string): string {
  if (lang !== 'zh-CN' || !message) return message;
  for (const [re, zh] of JOB_PHRASES) if (re.test(message)) return message.replace(re, zh);
  return message;
}
