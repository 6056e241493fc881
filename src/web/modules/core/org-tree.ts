/**
 * The organisation list arrives flat; the tree is built here. The list is cached for the
 * page load and refreshed after a change, because several pages need it for pickers.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, type Org } from '../../api';

export interface OrgTreeNode {
  org: Org;
  children: OrgTreeNode[];
}

const KIND_ORDER: Record<string, number> = { district: 0, street: 1, community: 2, department: 3, agency: 4 };

export function compareOrgs(a: Org, b: Org): number {
  return (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9) || a.code.localeCompare(b.code) || a.name.localeCompare(b.name, 'zh-CN');
}

/** Roots are orgs without a parent or whose parent is not in the list (out of the caller's scope). */
export function buildOrgTree(orgs: Org[]): OrgTreeNode[] {
  const nodes = new Map<string, OrgTreeNode>();
  for (const o of orgs) nodes.set(o.id, { org: o, children: [] });
  const roots: OrgTreeNode[] = [];
  for (const n of nodes.values()) {
    const parent = n.org.parentId ? nodes.get(n.org.parentId) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  const sort = (list: OrgTreeNode[]) => {
    list.sort((a, b) => compareOrgs(a.org, b.org));
    list.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

export interface OrgSelectNode {
  value: string;
  title: string;
  children?: OrgSelectNode[];
}

/** Tree data for antd TreeSelect. */
export function orgSelectTree(orgs: Org[]): OrgSelectNode[] {
  const map = (n: OrgTreeNode): OrgSelectNode => ({
    value: n.org.id,
    title: n.org.name,
    children: n.children.length ? n.children.map(map) : undefined,
  });
  return buildOrgTree(orgs).map(map);
}

let cache: Promise<Org[]> | null = null;
const listeners = new Set<(orgs: Org[]) => void>();

function fetchOrgs(force = false): Promise<Org[]> {
  if (!cache || force) {
    cache = api.orgs.list().then((r) => r.items);
    cache.then((orgs) => listeners.forEach((l) => l(orgs))).catch(() => (cache = null));
  }
  return cache;
}

/** All organisations visible to the user; `enabled` false skips the request (no permission). */
export function useOrgs(enabled = true) {
  const [orgs, setOrgs] = useState<Org[]>([]);
  const [loading, setLoading] = useState(enabled);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!enabled) {
      setLoading(false);
      return;
    }
    let alive = true;
    const listener = (o: Org[]) => alive && setOrgs(o);
    listeners.add(listener);
    fetchOrgs()
      .then((o) => alive && setOrgs(o))
      .catch((e: unknown) => alive && setError(e))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
      listeners.delete(listener);
    };
  }, [enabled]);

  const refresh = useCallback(async () => {
    setLoading(true);
    try {
      return await fetchOrgs(true);
    } finally {
      setLoading(false);
    }
  }, []);

  return { orgs, loading, error, refresh };
}
