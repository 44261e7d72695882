import { useCallback } from 'react';
import type { Page } from '../../api/client';
import type { Query } from '../../api/catalog';
import { useCursorList } from '../../hooks/useCursorList';

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
