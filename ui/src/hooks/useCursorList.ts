import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage, type Page } from '../api/client';

export type PageFetcher<T> = (params: { limit: number; cursor: string | null }, signal: AbortSignal) => Promise<Page<T>>;

/**
 * Server-side keyset pagination: `limit` + `cursor`, with a stack of the cursors of the pages
 * already seen so 上一页 works. The stack restarts whenever `resetKey` (filters, page size) changes.
 */
export function useCursorList<T>(fetchPage: PageFetcher<T>, resetKey: string, limit: number) {
  const [stack, setStack] = useState<(string | null)[]>([null]);
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  /** The filters + page the shown items were loaded for (tests wait on it: data-loaded-for). */
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const [prevKey, setPrevKey] = useState(resetKey);

  // New filters → back to the first page (state adjusted during render, before any effect runs).
  if (prevKey !== resetKey) {
    setPrevKey(resetKey);
    setStack([null]);
  }
  const cursor = stack[stack.length - 1] ?? null;

  useEffect(() => {
    const ctrl = new AbortController();
    setLoading(true);
    fetchRef
      .current({ limit, cursor }, ctrl.signal)
      .then((page) => {
        if (ctrl.signal.aborted) return;
        setItems(page.items);
        setNextCursor(page.next_cursor);
        setError(null);
        setLoadedFor(`${resetKey}#${cursor ?? ''}`);
      })
      .catch((err) => {
        if (ctrl.signal.aborted) return;
        setItems([]);
        setNextCursor(null);
        setError(errorMessage(err));
        setLoadedFor(`${resetKey}#${cursor ?? ''}`);
      })
      .finally(() => {
        if (!ctrl.signal.aborted) setLoading(false);
      });
    return () => ctrl.abort();
  }, [resetKey, limit, cursor, tick]);

  const next = useCallback(() => {
    if (nextCursor) setStack((s) => [...s, nextCursor]);
  }, [nextCursor]);
  const prev = useCallback(() => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)), []);
  const first = useCallback(() => setStack([null]), []);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  return {
    items,
    setItems,
    loading,
    loadedFor,
    error,
    pageIndex: stack.length, // 1-based
    hasPrev: stack.length > 1,
    hasNext: !!nextCursor,
    next,
    prev,
    first,
    reload,
  };
}
