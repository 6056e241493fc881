/**
 * Picks a storage place of one centre (room, cabinet, shelf or bin) from its storage map, as a
 * tree with each place's occupancy against its capacity; full places cannot be picked.
 */
import { useEffect, useMemo, useState } from 'react';
import { TreeSelect } from 'antd';
import { custodyApi, type Place, type StorageMap } from './custody-api';
import { useCustodyI18n } from './custody-i18n';

interface TreeNode {
  value: string;
  title: React.ReactNode;
  label: string;
  disabled?: boolean;
  children?: TreeNode[];
}

/** The places of a map as a tree below the centre. */
export function placeTree(map: StorageMap, render: (p: Place) => { title: React.ReactNode; label: string; disabled?: boolean }): TreeNode[] {
  const byParent = new Map<string, Place[]>();
  for (const p of map.places) {
    if (!p.parentId) continue;
    const list = byParent.get(p.parentId) ?? [];
    list.push(p);
    byParent.set(p.parentId, list);
  }
  const build = (parentId: string): TreeNode[] =>
    (byParent.get(parentId) ?? [])
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((p) => {
        const children = build(p.id);
        return { value: p.id, ...render(p), ...(children.length ? { children } : {}) };
      });
  return build(map.centre.id);
}

/** Loads a centre's storage map once per centre id. */
export function useStorageMap(centreId: string | null | undefined, reloadKey = 0) {
  const [map, setMap] = useState<StorageMap | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!centreId) {
      setMap(null);
      return;
    }
    let cancelled = false;
    setError(null);
    custodyApi.storageMap(centreId).then(
      (m) => !cancelled && setMap(m),
      (e: unknown) => !cancelled && setError(e),
    );
    return () => {
      cancelled = true;
    };
  }, [centreId, reloadKey]);
  return { map, error };
}

export function LocationPicker({ centreId, value, onChange, exclude, placeholder, testId }: { centreId: string | null | undefined; value?: string; onChange?: (v: string) => void; exclude?: string | null; placeholder?: string; testId?: string }) {
  const { t, placeKindLabel } = useCustodyI18n();
  const { map } = useStorageMap(centreId);
  const tree = useMemo(
    () =>
      map
        ? placeTree(map, (p) => {
            const n = p.direct ?? 0;
            const full = p.capacity !== null && n >= p.capacity;
            const count = p.capacity !== null ? `${n}/${p.capacity}` : String(p.occupancy ?? 0);
            return {
              label: `${p.name}（${p.code}）`,
              disabled: full || p.id === exclude,
              title: (
                <span className="cz-place-option">
                  <span className="cz-place-kind">{placeKindLabel(p.kind)}</span>
                  <span>{p.name}</span>
                  <span className="cz-place-code">{p.code}</span>
                  <span className={full ? 'cz-place-count cz-place-full' : 'cz-place-count'}>{full ? `${count} ${t('f.full')}` : count}</span>
                </span>
              ),
            };
          })
        : [],
    [map, exclude, placeKindLabel, t],
  );
  return (
    <TreeSelect
      value={value}
      onChange={(v: string) => onChange?.(v)}
      treeData={tree}
      treeDefaultExpandAll
      showSearch
      treeNodeFilterProp="label"
      treeNodeLabelProp="label"
      placeholder={placeholder ?? t('f.locationPh')}
      loading={!map && !!centreId}
      style={{ width: '100%' }}
      popupMatchSelectWidth={false}
      listHeight={360}
      data-testid={testId ?? 'location-picker'}
    />
  );
}
