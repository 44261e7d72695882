import { useMemo } from 'react';
import { listAllBrands, listCategories, listMemberTiers, type Brand, type Category, type MemberTier } from '../api/catalog';
import { useAuth } from '../auth/AuthContext';
import { useAsync } from './useAsync';

export interface CategoryNode {
  value: string;
  title: string;
  key: string;
  category: Category;
  children: CategoryNode[];
}

/** Flat categories (depth-first, with parent_id) → tree nodes for Tree / TreeSelect. */
export function buildCategoryTree(categories: Category[]): CategoryNode[] {
  const nodes = new Map<string, CategoryNode>();
  for (const c of categories) nodes.set(c.id, { value: c.id, key: c.id, title: c.name, category: c, children: [] });
  const roots: CategoryNode[] = [];
  for (const c of categories) {
    const n = nodes.get(c.id)!;
    const parent = c.parent_id ? nodes.get(c.parent_id) : undefined;
    if (parent) parent.children.push(n);
    else roots.push(n);
  }
  const sort = (list: CategoryNode[]) => {
    list.sort((a, b) => (a.category.sort ?? 0) - (b.category.sort ?? 0) || a.category.code.localeCompare(b.category.code));
    list.forEach((n) => sort(n.children));
  };
  sort(roots);
  return roots;
}

export function useCategories() {
  const { can } = useAuth();
  const r = useAsync<Category[]>(() => listCategories(), [], can('catalog.sku.read'));
  const categories = useMemo(() => r.data ?? [], [r.data]);
  const tree = useMemo(() => buildCategoryTree(categories), [categories]);
  const byId = useMemo(() => new Map(categories.map((c) => [c.id, c])), [categories]);
  return { ...r, categories, tree, byId };
}

export function useBrands() {
  const { can } = useAuth();
  const r = useAsync<Brand[]>(() => listAllBrands(), [], can('catalog.sku.read'));
  const brands = useMemo(() => r.data ?? [], [r.data]);
  const byId = useMemo(() => new Map(brands.map((b) => [b.id, b])), [brands]);
  return { ...r, brands, byId };
}

export function useMemberTiers() {
  const { can } = useAuth();
  const r = useAsync<MemberTier[]>(() => listMemberTiers(), [], can('catalog.price.read'));
  return { ...r, tiers: r.data ?? [] };
}
