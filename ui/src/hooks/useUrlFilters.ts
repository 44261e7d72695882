import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';

export const DEFAULT_LIMIT = 50;
export const PAGE_SIZES = [20, 50, 100, 200];

/**
 * List filters kept in the URL query (`?q=…&status=…&limit=…`), so a filtered list can be
 * bookmarked, shared and survives a reload. Only the given keys are read; empty values are dropped.
 */
export function useUrlFilters<K extends string>(keys: readonly K[]) {
  const [params, setParams] = useSearchParams();
  const keyStr = keys.join(',');

  const filters = useMemo(() => {
    const out = {} as Partial<Record<K, string>>;
    for (const k of keyStr.split(',') as K[]) {
      const v = params.get(k);
      if (v !== null && v !== '') out[k] = v;
    }
    return out;
  }, [params, keyStr]);

  const limitRaw = Number(params.get('limit'));
  const limit = PAGE_SIZES.includes(limitRaw) ? limitRaw : DEFAULT_LIMIT;

  const setFilters = useCallback(
    (next: Partial<Record<K, string | null | undefined>>) => {
      setParams(
        (prev) => {
          const p = new URLSearchParams();
          const l = prev.get('limit');
          if (l) p.set('limit', l);
          for (const [k, v] of Object.entries(next) as [string, string | null | undefined][]) {
            if (v !== undefined && v !== null && v !== '') p.set(k, v);
          }
          return p;
        },
        { replace: false },
      );
    },
    [setParams],
  );

  const setLimit = useCallback(
    (n: number) => {
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev);
          if (n === DEFAULT_LIMIT) p.delete('limit');
          else p.set('limit', String(n));
          return p;
        },
        { replace: true },
      );
    },
    [setParams],
  );

  /** Stable string of the active filters (an effect dependency). */
  const filterKey = useMemo(() => JSON.stringify(filters), [filters]);

  return { filters, filterKey, setFilters, limit, setLimit };
}
