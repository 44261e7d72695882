import { useCallback, useRef } from 'react';
import { newRequestId } from '../../utils/format';

/**
 * One Idempotency-Key per submission: `keyFor(body)` gives the same key while the body is the same
 * (a retry after a network error is answered with the first result, never applied twice) and a
 * new one once anything changed; `done()` after success, so the next submission gets its own.
 */
export function useIdempotencyKey() {
  const pending = useRef<{ payload: string; key: string } | null>(null);
  const keyFor = useCallback((body: unknown) => {
    const payload = JSON.stringify(body);
    if (pending.current?.payload !== payload) pending.current = { payload, key: newRequestId() };
    return pending.current.key;
  }, []);
  const done = useCallback(() => {
    pending.current = null;
  }, []);
  return { keyFor, done };
}
