import { useCallback } from 'react';
import { api } from '../../api';
import { RemoteMultiSelect, type RemoteOption } from '../../components/RemoteMultiSelect';

/** Picks users by name, username or phone (needs user.read; otherwise only the initial ones). */
export function UserPicker({ role, ...props }: {
  value?: string[];
  onChange?: (v: string[]) => void;
  initial?: RemoteOption[];
  placeholder?: string;
  canSearch: boolean;
  /** Only offer users holding this role. */
  role?: string;
}) {
  const fetch = useCallback(async (q: string): Promise<RemoteOption[]> => {
    const r = await api.users.list({ q: q || undefined, role: role, page: 1, pageSize: 30 });
    return r.items.filter((u) => u.active).map((u) => ({ id: u.id, label: u.displayName, hint: `${u.username} · ${u.orgName}` }));
  }, [role]);
  return (
    <RemoteMultiSelect
      value={props.value}
      onChange={props.onChange}
      initial={props.initial}
      placeholder={props.placeholder}
      fetch={props.canSearch ? fetch : undefined}
    />
  );
}
