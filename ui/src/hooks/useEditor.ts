import { useCallback, useState } from 'react';

/** Which row an edit dialog is open on (or a new one being created), shared by list pages. */
export function useEditor<K>() {
  const [target, setTarget] = useState<K | null>(null);
  const [creating, setCreating] = useState(false);
  const close = useCallback(() => {
    setTarget(null);
    setCreating(false);
  }, []);
  /** Close the dialog and refresh the list after a save. */
  const saved = useCallback(
    (reload: () => void) => {
      close();
      reload();
    },
    [close],
  );
  return { target, creating, open: setTarget, create: () => setCreating(true), close, saved };
}
