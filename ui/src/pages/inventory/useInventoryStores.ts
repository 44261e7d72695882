import { useMemo } from 'react';
import { useAuth } from '../../auth/AuthContext';
import { useStoreOptions } from '../../hooks/useRefData';

/**
 * Stores the caller may see, and the one a store-scoped page opens on: the store switcher's
 * choice, else the first store (inventory pages always look at one store).
 */
export function useInventoryStores() {
  const { currentStoreId } = useAuth();
  const { stores, byId, loading } = useStoreOptions();
  const defaultStoreId = currentStoreId ?? stores[0]?.id ?? null;
  const options = useMemo(() => stores.map((s) => ({ value: s.id, label: `${s.code} ${s.name}` })), [stores]);
  const storeName = (id: string | null | undefined) => {
    const s = id ? byId.get(id) : undefined;
    return s ? `${s.code} ${s.name}` : id ?? '—';
  };
  return { stores, byId, options, defaultStoreId, storeName, loading };
}
