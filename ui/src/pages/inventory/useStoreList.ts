import { useCallback, useMemo } from 'react';
import type { Page } from '../../api/client';
import type { Query } from '../../api/catalog';
import { useAuth } from '../../auth/AuthContext';
import { useCursorList } from '../../hooks/useCursorList';
import { useUrlFilters } from '../../hooks/useUrlFilters';

/**
 * A keyset list of one of the inventory APIs for these filters (URL filters with the store filled
 * in); `requireStore`: nothing is asked before a store is known (the stock and ledger APIs need one).
 */
export function useStoreList<T>(fetchList: (q: Query, signal: AbortSignal) => Promise<Page<T>>, query: Query, limit: number, requireStore = false) {
  const queryKey = JSON.stringify(query);
  const fetchPage = useCallback(
    (p: { limit: number; cursor: string | null }, signal: AbortSignal) =>
      requireStore && !query.store_id ? Promise.resolve({ items: [], next_cursor: null }) : fetchList({ ...query, limit: p.limit, cursor: p.cursor }, signal),
    // the query is compared by value
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [queryKey, fetchList, requireStore],
  );
  return useCursorList<T>(fetchPage, queryKey, limit);
}

/**
 * A list page of store documents (transfers, stocktakes): URL filters, and every store in scope
 * unless one is picked (the header's store switcher narrows it).
 */
export function useDocumentList<T, K extends string>(keys: readonly K[], fetchList: (q: Query, signal: AbortSignal) => Promise<Page<T>>) {
  const { currentStoreId } = useAuth();
  const { filters, setFilters, limit, setLimit } = useUrlFilters(keys);
  const storeId = (filters as Partial<Record<string, string>>).store_id ?? (currentStoreId || undefined);
  const query = useMemo(() => ({ ...filters, store_id: storeId }), [filters, storeId]);
  const list = useStoreList<T>(fetchList, query, limit);
  return { filters, setFilters, limit, setLimit, storeId, list };
}
