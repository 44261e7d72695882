import { useCallback, useMemo } from 'react';
import { listAllStores, listAllUsers, listPermissions, listRegions, listRoles, type Permission, type Region, type Role, type StoreRef, type User } from '../api/identity';
import { useAuth } from '../auth/AuthContext';
import { useAsync } from './useAsync';

/** Built-in role names, for users who may grant roles but not read the role list. */
export const BUILTIN_ROLES: Record<string, string> = {
  hq_admin: '总部管理员',
  area_manager: '区域经理',
  store_manager: '门店经理',
  finance: '稽核/财务',
  bi_viewer: '只读分析',
};

export function useRegions() {
  const { can } = useAuth();
  const r = useAsync<Region[]>(() => listRegions(), [], can('system.store.read'));
  const byId = useMemo(() => new Map((r.data ?? []).map((x) => [x.id, x])), [r.data]);
  return { ...r, regions: r.data ?? [], byId };
}

/** Stores in scope: /system/stores when readable, otherwise the switcher's list from /auth/me. */
export function useStoreOptions() {
  const { can, stores: myStores } = useAuth();
  const readable = can('system.store.read');
  const r = useAsync<StoreRef[]>(() => listAllStores(), [], readable);
  const stores = readable && r.data ? r.data : myStores;
  const byId = useMemo(() => new Map(stores.map((s) => [s.id, s])), [stores]);
  return { ...r, stores, byId };
}

export function useRoles() {
  const { can } = useAuth();
  const readable = can('system.role.read');
  const r = useAsync<Role[]>(() => listRoles(), [], readable);
  const roles: Role[] = useMemo(
    () =>
      readable && r.data
        ? r.data
        : Object.entries(BUILTIN_ROLES).map(([code, name]) => ({ code, name, builtin: true, permissions: [], version: 0 })),
    [readable, r.data],
  );
  return { ...r, roles };
}

/** Permission catalogue; without system.role.read, the caller's own permission codes. */
export function usePermissions() {
  const { can, me } = useAuth();
  const readable = can('system.role.read');
  const r = useAsync<Permission[]>(() => listPermissions(), [], readable);
  const permissions: Permission[] = useMemo(() => {
    if (readable && r.data) return r.data;
    return (me?.permissions ?? []).map((code) => ({ code, name: code, module: code.split('.')[0] ?? '' }));
  }, [readable, r.data, me]);
  return { ...r, permissions };
}

export const MODULE_LABELS: Record<string, string> = {
  system: '系统',
  catalog: '商品',
  prices: '价格',
  price: '价格',
  inventory: '库存',
  orders: '订单',
  order: '订单',
  members: '会员',
  member: '会员',
  marketing: '营销',
  reports: '报表',
  report: '报表',
  payments: '支付',
  payment: '支付',
  dashboard: '仪表盘',
};

export const moduleLabel = (m: string) => MODULE_LABELS[m] ?? m;

/**
 * Users by id (when the viewer may read users) and `actorName("user:<id>")` → "姓名（用户名）";
 * other actors ("system:demo", API keys) and unknown ids are shown as they are.
 */
export function useActorNames() {
  const { can, me } = useAuth();
  const r = useAsync<User[]>(() => listAllUsers(), [], can('system.user.read'));
  const usersById = useMemo(() => new Map((r.data ?? []).map((u) => [u.id, u])), [r.data]);
  const actorName = useCallback(
    (actor: string | null | undefined) => {
      if (!actor) return '—';
      const m = /^user:(.+)$/.exec(actor);
      if (m && me && m[1] === me.id) return `${me.display_name || me.username}（${me.username}）`;
      const u = m ? usersById.get(m[1]) : undefined;
      return u ? `${u.display_name || u.username}（${u.username}）` : actor;
    },
    [usersById, me],
  );
  return { usersById, actorName };
}
