import { useCallback, useState } from 'react';
import { App, type FormInstance } from 'antd';
import { ApiError } from '../api';
import { localizeServerMessage, useI18n } from '../i18n';

/**
 * Returns a function that shows an API error to the user: the server's message, and the
 * request id so that an operator can find the request in the logs.
 */
export function useShowError(): (e: unknown) => void {
  const { message } = App.useApp();
  const { t } = useI18n();
  return useCallback(
    (e: unknown) => {
      if (e instanceof ApiError) {
        // 401 already sends the user to the login page; no need for a second message.
        if (e.status === 401) return;
        const text = e.status === 0 ? t('common.networkError') : e.message || t('common.error');
        message.error({
          content: e.requestId ? `${text}（${t('common.requestId')}: ${e.requestId}）` : text,
          duration: 5,
        });
        return;
      }
      console.error(e);
      message.error(e instanceof Error ? e.message : t('common.error'));
    },
    [message, t],
  );
}

/**
 * Field errors of a 400 answer, in the shape antd's form.setFields expects. The server names
 * the offending field in `details`; several spellings are accepted (Zod issues, a field map,
 * a single field) so that forms light up the right input.
 */
export function fieldErrors(e: unknown, knownFields: string[]): { name: string; errors: string[] }[] {
  if (!(e instanceof ApiError) || e.status !== 400 || !e.details) return [];
  const out = new Map<string, string[]>();
  const add = (field: unknown, msg: unknown) => {
    // "roles.0" or ["roles", 0] both point at the form field "roles".
    const name = Array.isArray(field) ? String(field[0] ?? '') : String(field ?? '').split('.')[0];
    if (!knownFields.includes(name)) return;
    const list = out.get(name) ?? [];
    list.push(localizeServerMessage(typeof msg === 'string' && msg ? msg : e.message));
    out.set(name, list);
  };
  const d = e.details as Record<string, unknown> | unknown[];
  const visitList = (list: unknown[]) => {
    for (const item of list) {
      if (item && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        add(o.path ?? o.field ?? o.name, o.message);
      } else if (typeof item === 'string') add(item, undefined);
    }
  };
  if (Array.isArray(d)) visitList(d);
  else if (d && typeof d === 'object') {
    if (typeof d.field === 'string') add(d.field, d.message);
    if (Array.isArray(d.issues)) visitList(d.issues);
    if (Array.isArray(d.fields)) visitList(d.fields);
    const map = (d.fieldErrors ?? d.fields) as unknown;
    if (map && typeof map === 'object' && !Array.isArray(map)) {
      for (const [k, v] of Object.entries(map as Record<string, unknown>)) add(k, Array.isArray(v) ? v[0] : v);
    }
    for (const [k, v] of Object.entries(d)) if (knownFields.includes(k)) add(k, Array.isArray(v) ? v[0] : v);
  }
  return [...out.entries()].map(([name, errors]) => ({ name, errors }));
}

/** Puts a 400 answer's field errors on the form; returns false when none matched a field. */
export function applyFieldErrors<T>(form: FormInstance<T>, e: unknown, knownFields: string[]): boolean {
  const list = fieldErrors(e, knownFields);
  if (!list.length) return false;
  form.setFields(list as Parameters<FormInstance<T>['setFields']>[0]);
  return true;
}

/**
 * Runs an async action (an export, a save) with a busy flag per key and errors shown.
 * Returns the action's result, or undefined when it failed.
 */
export function useBusy() {
  const showError = useShowError();
  const [busy, setBusy] = useState<Record<string, boolean>>({});
  const run = useCallback(
    async <T,>(key: string, action: () => Promise<T>): Promise<T | undefined> => {
      setBusy((b) => ({ ...b, [key]: true }));
      try {
        return await action();
      } catch (e) {
        showError(e);
        return undefined;
      } finally {
        setBusy((b) => ({ ...b, [key]: false }));
      }
    },
    [showError],
  );
  return { busy, run };
}
