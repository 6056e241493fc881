/**
 * A multi-select whose options come from a search endpoint (users, grids). Options already
 * chosen keep their labels even when a later search does not return them.
 */
import { useEffect, useRef, useState } from 'react';
import { Select, Spin } from 'antd';

export interface RemoteOption {
  id: string;
  label: string;
  hint?: string;
}

interface Props {
  value?: string[];
  onChange?: (value: string[]) => void;
  /** Labels of the ids the field starts with. */
  initial?: RemoteOption[];
  fetch?: (q: string) => Promise<RemoteOption[]>;
  placeholder?: string;
  maxTagCount?: number | 'responsive';
}

export function RemoteMultiSelect({ value, onChange, initial, fetch, placeholder, maxTagCount }: Props) {
  const [known, setKnown] = useState<Map<string, RemoteOption>>(() => new Map((initial ?? []).map((o) => [o.id, o])));
  const [found, setFound] = useState<RemoteOption[]>([]);
  const [loading, setLoading] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    setKnown((prev) => {
      const next = new Map(prev);
      for (const o of initial ?? []) next.set(o.id, o);
      return next;
    });
  }, [initial]);

  const search = (q: string) => {
    if (!fetch) return;
    if (timer.current) clearTimeout(timer.current);
    const mine = ++seq.current;
    timer.current = setTimeout(async () => {
      setLoading(true);
      try {
        const list = await fetch(q.trim());
        if (mine !== seq.current) return;
        setFound(list);
        setKnown((prev) => {
          const next = new Map(prev);
          for (const o of list) next.set(o.id, o);
          return next;
        });
      } catch {
        if (mine === seq.current) setFound([]);
      } finally {
        if (mine === seq.current) setLoading(false);
      }
    }, 250);
  };

  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);

  const ids = new Set<string>([...(value ?? []), ...found.map((o) => o.id)]);
  const options = [...ids].map((id) => {
    const o = known.get(id);
    return {
      value: id,
      label: o ? (o.hint ? `${o.label}（${o.hint}）` : o.label) : id,
    };
  });

  return (
    <Select
      mode="multiple"
      value={value ?? []}
      onChange={(v: string[]) => onChange?.(v)}
      options={options}
      placeholder={placeholder}
      filterOption={fetch ? false : (input, option) => String(option?.label ?? '').toLowerCase().includes(input.toLowerCase())}
      showSearch
      onSearch={fetch ? search : undefined}
      onFocus={() => fetch && found.length === 0 && search('')}
      notFoundContent={loading ? <Spin size="small" /> : undefined}
      maxTagCount={maxTagCount}
      allowClear
      style={{ width: '100%' }}
    />
  );
}
