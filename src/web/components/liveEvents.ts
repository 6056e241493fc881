/**
 * One live connection per browser tab to GET /api/v1/events/stream (Server-Sent Events),
 * shared by every component that listens: the inbox bell, the case pages. EventSource
 * reconnects by itself after a network drop (the server sends `retry: 3000`); when it gives
 * up (an error answer, e.g. the session expired) we try again a little later.
 */
import { useEffect, useRef, useSyncExternalStore } from 'react';
import { EVENTS_STREAM_URL, type LiveEvent } from '../api';

type Handler = (e: LiveEvent) => void;

const EVENT_TYPES = ['report.created', 'report.changed', 'notification', 'alert.raised', 'alert.changed', 'recon.run_finished'];
const RETRY_MS = 10_000;

const handlers = new Set<Handler>();
let source: EventSource | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let connected = false;
const statusListeners = new Set<() => void>();

function setConnected(v: boolean) {
  if (connected === v) return;
  connected = v;
  statusListeners.forEach((l) => l());
}

function dispatch(ev: MessageEvent) {
  let data: LiveEvent;
  try {
    data = JSON.parse(ev.data as string) as LiveEvent;
  } catch {
    return;
  }
  if (!data.type) data.type = ev.type;
  for (const h of [...handlers]) {
    try {
      h(data);
    } catch (e) {
      console.error('live event handler failed', e);
    }
  }
}

function open() {
  if (source || typeof EventSource === 'undefined') return;
  const s = new EventSource(EVENTS_STREAM_URL, { withCredentials: true });
  source = s;
  for (const type of EVENT_TYPES) s.addEventListener(type, dispatch as EventListener);
  s.onmessage = dispatch;
  s.onopen = () => setConnected(true);
  s.onerror = () => {
    setConnected(false);
    if (s.readyState === EventSource.CLOSED) {
      s.close();
      if (source === s) source = null;
      if (!retryTimer && handlers.size) {
        retryTimer = setTimeout(() => {
          retryTimer = null;
          if (handlers.size) open();
        }, RETRY_MS);
      }
    }
  };
}

function close() {
  if (retryTimer) {
    clearTimeout(retryTimer);
    retryTimer = null;
  }
  source?.close();
  source = null;
  setConnected(false);
}

/** Subscribes to live events; the connection opens with the first subscriber and closes with the last. */
export function subscribeLive(handler: Handler): () => void {
  handlers.add(handler);
  open();
  return () => {
    handlers.delete(handler);
    if (!handlers.size) close();
  };
}

/** Calls the handler for each live event while the component is mounted (latest handler wins). */
export function useLiveEvents(handler: Handler, enabled = true): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!enabled) return;
    return subscribeLive((e) => ref.current(e));
  }, [enabled]);
}

/** True while the live connection is open. */
export function useLiveConnected(): boolean {
  return useSyncExternalStore(
    (cb) => {
      statusListeners.add(cb);
      return () => statusListeners.delete(cb);
    },
    () => connected,
  );
}

/**
 * Calls `refresh` (debounced) when a live event matches: lists reload once for a burst of
 * changes instead of once per event.
 */
export function useLiveRefresh(match: (e: LiveEvent) => boolean, refresh: () => void, delayMs = 700, enabled = true): void {
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;
  useLiveEvents((e) => {
    if (!match(e)) return;
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      timer.current = null;
      refreshRef.current();
    }, delayMs);
  }, enabled);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
}

/** Report events (created or changed), for lists of cases. */
export const isReportEvent = (e: LiveEvent) => e.type === 'report.created' || e.type === 'report.changed';
