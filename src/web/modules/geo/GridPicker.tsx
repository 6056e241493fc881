import { useCallback } from 'react';
import { api } from '../../api';
import { RemoteMultiSelect, type RemoteOption } from '../../components/RemoteMultiSelect';

/** Picks grids by name or code. */
export function GridPicker(props: { value?: string[]; onChange?: (v: string[]) => void; initial?: RemoteOption[]; placeholder?: string; canSearch: boolean }) {
  const fetch = useCallback(async (q: string): Promise<RemoteOption[]> => {
    const r = await api.grids.list({ q: q || undefined, page: 1, pageSize: 30 });
    return r.items.map((g) => ({ id: g.id, label: g.name, hint: `${g.code} · ${g.communityName}` }));
  }, []);
  return (
    <RemoteMultiSelect
      value={props.value}
      onChange={props.onChange}
      initial={props.initial}
      placeholder={props.placeholder}
      fetch={props.canSearch ? fetch : undefined}
      maxTagCount="responsive"
    />
  );
}
