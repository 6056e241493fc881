/**
 * Address search shared by the map and the address library: the match endpoint is called as
 * the user types (debounced), and the best match is offered first with the alternatives.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { AutoComplete, Input, Tag } from 'antd';
import { api, type AddressMatch, type AddressMatchResult } from '../../api';
import { labels, useI18n } from '../../i18n';
import { useShowError } from '../../app/feedback';
import { confidenceColor, percent } from '../../format';

/** The search box: matches as you type (debounced), shows the best match and alternatives. */
export function AddressSearchBox({ onPick, placeholder, width }: { onPick: (m: AddressMatch) => void; placeholder?: string; width?: number | string }) {
  const { t, lang } = useI18n();
  const { text, setText, result, loading, search } = useAddressMatch();

  const matches = useMemo(() => (result ? [...(result.best ? [result.best] : []), ...result.alternatives] : []), [result]);
  const byValue = useMemo(() => new Map(matches.map((m) => [m.fullText, m])), [matches]);

  const options = matches
    .filter((m, i) => matches.findIndex((x) => x.fullText === m.fullText) === i)
    .map((m) => ({
      value: m.fullText,
      label: (
        <div className="za-opt">
          <div className="za-opt-main">
            {result?.best?.id === m.id && (
              <Tag color="blue" bordered={false} style={{ marginRight: 6 }}>
                {t('map.best')}
              </Tag>
            )}
            <span>{m.fullText}</span>
          </div>
          <div className="za-opt-meta">
            <span>{labels.level(lang, m.level)}</span>
            {m.gridName && <span> · {m.gridName}</span>}
            <Tag color={confidenceColor(m.confidence)} bordered={false} className="za-opt-conf">
              {t('map.confidence')} {percent(m.confidence)}
            </Tag>
          </div>
        </div>
      ),
    }));

  return (
    <AutoComplete
      value={text}
      options={options}
      style={{ width: width ?? '100%' }}
      popupMatchSelectWidth
      onSearch={(v) => {
        setText(v);
        search(v);
      }}
      onSelect={(v: string) => {
        const m = byValue.get(v);
        setText(v);
        if (m) onPick(m);
      }}
      notFoundContent={text.trim() && !loading && result ? t('map.noMatch') : null}
    >
      <Input.Search
        placeholder={placeholder ?? t('map.searchPlaceholder')}
        allowClear
        enterButton
        loading={loading}
        onSearch={(v) => {
          // Enter or the button picks the best match directly.
          if (result?.best && v.trim() === result.query?.trim()) onPick(result.best);
          else if (v.trim()) search(v, true).then((r) => r?.best && onPick(r.best));
        }}
      />
    </AutoComplete>
  );
}

/** Debounced calls of the match endpoint; stale answers are dropped. */
export function useAddressMatch(limit = 6) {
  const showError = useShowError();
  const [text, setText] = useState('');
  const [result, setResult] = useState<AddressMatchResult | null>(null);
  const [loading, setLoading] = useState(false);
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const run = useCallback(
    async (q: string) => {
      const mine = ++seq.current;
      setLoading(true);
      try {
        const r = await api.addresses.match(q, limit);
        if (mine === seq.current) setResult(r);
        return r;
      } catch (e) {
        if (mine === seq.current) showError(e);
        return null;
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    },
    [limit, showError],
  );

  const search = useCallback(
    (q: string, immediate = false): Promise<AddressMatchResult | null> => {
      if (timer.current) clearTimeout(timer.current);
      const trimmed = q.trim();
      if (!trimmed) {
        seq.current++;
        setResult(null);
        setLoading(false);
        return Promise.resolve(null);
      }
      if (immediate) return run(trimmed);
      return new Promise((resolve) => {
        timer.current = setTimeout(() => resolve(run(trimmed)), 250);
      });
    },
    [run],
  );

  return { text, setText, result, loading, search };
}
