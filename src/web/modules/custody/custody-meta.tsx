/**
 * Shared pieces of the 涉案财物 pages: status colours and tags, the hash-chain tag, the label
 * print menu, how an API refusal or a field error reaches the user, and small formatters.
 */
import { useCallback } from 'react';
import { App, Button, Dropdown, Tag, Tooltip, type FormInstance } from 'antd';
import { CheckCircleFilled, PrinterOutlined, WarningFilled } from '@ant-design/icons';
import { ApiError } from '../../api';
import { useShowError } from '../../app/feedback';
import type { ItemStatus } from './custody-api';
import { useCustodyI18n } from './custody-i18n';
import './custody.css';

export const STATUS_COLORS: Record<ItemStatus, string> = {
  registered: 'gold',
  in_store: 'green',
  on_loan: 'blue',
  awaiting_treasury: 'purple',
  disposed: 'default',
};

export function ItemStatusTag({ status, large }: { status: ItemStatus; large?: boolean }) {
  const { statusLabel } = useCustodyI18n();
  return (
    <Tag color={STATUS_COLORS[status]} className={large ? 'cz-tag-lg' : undefined} data-testid="item-status" data-status={status}>
      {statusLabel(status)}
    </Tag>
  );
}

export function CaseStatusTag({ status }: { status: 'open' | 'concluded' }) {
  const { t } = useCustodyI18n();
  return (
    <Tag color={status === 'open' ? 'processing' : 'default'} data-testid="case-status" data-status={status}>
      {t(`c.caseStatus.${status}`)}
    </Tag>
  );
}

export function ChainTag({ intact }: { intact: boolean }) {
  const { t } = useCustodyI18n();
  return (
    <Tooltip title={t('item.chainHint')}>
      <Tag color={intact ? 'success' : 'error'} icon={intact ? <CheckCircleFilled /> : <WarningFilled />} data-testid="chain-tag" data-intact={intact ? '1' : '0'}>
        {intact ? t('item.chainOk') : t('item.chainBad')}
      </Tag>
    </Tooltip>
  );
}

/** Opens a PDF (labels) in a new tab; the session cookie goes along. */
export function openInNewTab(url: string): void {
  window.open(url, '_blank', 'noopener');
}

/** 打印标签 with the two paper formats. */
export function PrintLabelsButton({ url, label, size, testId }: { url: (format: 'label' | 'a4') => string; label?: string; size?: 'small' | 'middle'; testId?: string }) {
  const { t } = useCustodyI18n();
  return (
    <Dropdown
      trigger={['click']}
      menu={{
        items: [
          { key: 'label', label: t('c.labelFormat.label') },
          { key: 'a4', label: t('c.labelFormat.a4') },
        ],
        onClick: ({ key }) => openInNewTab(url(key as 'label' | 'a4')),
      }}
    >
      <Button icon={<PrinterOutlined />} size={size} data-testid={testId ?? 'print-labels'}>
        {label ?? t('c.printLabels')}
      </Button>
    </Dropdown>
  );
}

/** A dotted API field ("items.0.name", "witness.password") as an antd name path. */
export function namePath(field: string): (string | number)[] {
  return field.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/**
 * Handles a failed request of a form: a 400's field messages go on their fields (the first
 * segment must be one of `known`), a 409 refusal is returned as text for the form to show
 * prominently, anything else is shown as a message. Returns the refusal text, or null.
 */
export function useCustodyErrors() {
  const showError = useShowError();
  const { localize } = useCustodyI18n();
  const { message } = App.useApp();
  return useCallback(
    (e: unknown, form?: FormInstance | null, known: string[] = []): string | null => {
      if (e instanceof ApiError && e.status === 409) return localize(e.message);
      if (e instanceof ApiError && e.status === 400 && Array.isArray(e.details) && form) {
        const fields: { name: (string | number)[]; errors: string[] }[] = [];
        for (const d of e.details as { field?: string; message?: string }[]) {
          if (!d.field) continue;
          const name = namePath(d.field);
          if (!known.includes(String(name[0]))) continue;
          fields.push({ name, errors: [localize(d.message ?? e.message)] });
        }
        if (fields.length) {
          form.setFields(fields as Parameters<FormInstance['setFields']>[0]);
          return null;
        }
      }
      if (e instanceof ApiError && (e.status === 400 || e.status === 404 || e.status === 429)) {
        message.error({ content: localize(e.message), duration: 6 });
        return null;
      }
      showError(e);
      return null;
    },
    [showError, localize, message],
  );
}

/** Copies text; falls back to a hidden textarea where the Clipboard API is unavailable (plain http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    /* fall back */
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/** "1.5 GB" */
export function fileSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 2 : 1)} ${units[i]}`;
}

/** "12.5" (yuan) → 1250 (fen); null when empty. */
export function toCents(yuan: number | null | undefined): number | null {
  if (yuan === null || yuan === undefined || Number.isNaN(yuan)) return null;
  return Math.round(yuan * 100);
}

/** The quantity and unit as people write it: "1 部", "12000 元". */
export function qtyText(quantity: number, unit: string): string {
  return `${Number.isInteger(quantity) ? quantity : quantity.toLocaleString()} ${unit}`;
}
