import { useCallback, useEffect, useRef, useState } from 'react';
import { api, ApiError, type ReportDetail } from '../../api';
import { useShowError } from '../../app/feedback';
import { useLiveRefresh } from '../../components/liveEvents';

/**
 * One case, loaded by id and reloaded when a live event about it arrives (someone else
 * acted on it, a timer warned or escalated it). `onLiveChange` is told after such a reload.
 */
export function useReport(id: string | undefined, onLiveChange?: () => void) {
  const showError = useShowError();
  const [report, setReport] = useState<ReportDetail | null>(null);
  const [loading, setLoading] = useState(true);
  const [missing, setMissing] = useState(false);
  const seq = useRef(0);

  const load = useCallback(
    async (quiet = false) => {
      if (!id) return;
      const mine = ++seq.current;
      if (!quiet) setLoading(true);
      try {
        const r = await api.reports.get(id);
        if (mine === seq.current) {
          setReport(r);
          setMissing(false);
        }
        return r;
      } catch (e) {
        if (mine !== seq.current) return;
        if (e instanceof ApiError && e.status === 404) setMissing(true);
        else showError(e);
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    },
    [id, showError],
  );

  useEffect(() => {
    setReport(null);
    void load();
  }, [load]);

  useLiveRefresh(
    (e) => e.subjectType === 'report' && e.subjectId === id && (e.type === 'report.changed' || e.type === 'report.created'),
    () => {
      void load(true).then((r) => r && onLiveChange?.());
    },
    500,
    !!id,
  );

  return { report, setReport, loading, missing, reload: load };
}
