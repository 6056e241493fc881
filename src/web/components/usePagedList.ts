import { useCallback, useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useShowError } from '../app/feedback';

export interface Paged<T> {
  items: T[];
  total: number;
}

/**
 * Loads one page of a list whenever the query (or reloadKey) changes; a late answer to an
 * older query is dropped, errors go to the page's error display.
 */
export function usePagedList<Q, T>(load: (q: Q) => Promise<Paged<T>>, query: Q, reloadKey = 0) {
  const showError = useShowError();
  const [data, setData] = useState<Paged<T>>({ items: [], total: 0 });
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    let cancelled = false;
    setLoading(true);
    load(query)
      .then((r) => !cancelled && setData(r))
      .catch((e: unknown) => !cancelled && showError(e))
      .finally(() => !cancelled && setLoading(false));
    return () => {
      cancelled = true;
    };
    // `load` is a stable API function; the query and reloadKey decide when to fetch.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query, reloadKey, showError]);
  return { data, loading };
}

/** Table pagination bound to a page/pageSize query; changing the page size goes back to page 1. */
export function tablePagination<Q extends { page?: number; pageSize?: number }>(
  query: Q,
  setQuery: (update: (q: Q) => Q) => void,
  total: number,
  showTotal: (n: number) => string,
) {
  return {
    current: query.page,
    pageSize: query.pageSize,
    total,
    showSizeChanger: true,
    pageSizeOptions: [20, 50, 100],
    showTotal,
    onChange: (page: number, pageSize: number) => setQuery((q) => ({ ...q, page: pageSize !== q.pageSize ? 1 : page, pageSize })),
  };
}

/**
 * The items of a list for its map view: the same query fetched 200 at a time, up to `limit`
 * items, while `enabled` (the map is shown); reloaded with the query or reloadKey.
 */
export function useAllPages<Q extends { page?: number; pageSize?: number }, T>(load: (q: Q) => Promise<Paged<T>>, query: Q, opts: { enabled: boolean; limit: number; reloadKey?: number }) {
  const showError = useShowError();
  const [data, setData] = useState<Paged<T> | null>(null);
  useEffect(() => {
    if (!opts.enabled) return;
    let cancelled = false;
    (async () => {
      const first = await load({ ...query, page: 1, pageSize: 200 });
      const pages = Math.min(Math.ceil(first.total / 200), Math.ceil(opts.limit / 200));
      const rest = await Promise.all(Array.from({ length: Math.max(0, pages - 1) }, (_, i) => load({ ...query, page: i + 2, pageSize: 200 })));
      if (!cancelled) setData({ items: [first, ...rest].flatMap((p) => p.items), total: first.total });
    })().catch((e: unknown) => !cancelled && showError(e));
    return () => {
      cancelled = true;
    };
    // `load` is a stable API function; the query, the switch and reloadKey decide when to fetch.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [opts.enabled, opts.limit, query, opts.reloadKey, showError]);
  return data;
}

/**
 * A list's filters, page and view (table or map) kept in the address, so a list can be
 * bookmarked, shared and reloaded as it was. `fromParams` reads the query; `keys` are written
 * back when set (page and pageSize only when not the defaults).
 */
export function useUrlListQuery<Q extends { page?: number; pageSize?: number }>(fromParams: (p: URLSearchParams) => Q, keys: readonly (keyof Q & string)[]) {
  const [params, setParams] = useSearchParams();
  const query = useMemo(() => fromParams(params), [params]);
  const view: 'map' | 'table' = params.get('view') === 'map' ? 'map' : 'table';
  const setQuery = useCallback(
    (update: (q: Q) => Q, nextView: string = view) => {
      const q = update(fromParams(params));
      const out: Record<string, string> = {};
      if (q.page && q.page > 1) out.page = String(q.page);
      if (q.pageSize && q.pageSize !== 20) out.pageSize = String(q.pageSize);
      for (const k of keys) if (q[k] !== undefined && q[k] !== null && q[k] !== '') out[k] = String(q[k]);
      if (nextView === 'map') out.view = 'map';
      setParams(out);
    },
    // fromParams and keys are module constants of the page.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [params, setParams, view],
  );
  const filter = (patch: Partial<Q>) => setQuery((q) => ({ ...q, ...patch, page: 1 }));
  /** Clears every filter, keeping the view. */
  const reset = () => setParams(view === 'map' ? { view: 'map' } : {});
  return { query, view, setQuery, filter, reset };
}
