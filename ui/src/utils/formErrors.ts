import type { FormInstance } from 'antd';
import type { NamePath } from 'antd/es/form/interface';
import { ApiError, errorMessage } from '../api/client';

/**
 * API field name → form NamePath: "bindings[0].scope_ids", "bindings.0.scope_ids" and
 * "body.bindings.0.scope_ids" all become ["bindings", 0, "scope_ids"].
 */
export function fieldPath(field: string): (string | number)[] {
  const parts = field
    .replace(/\[(\d+)\]/g, '.$1')
    .split(/[./]/)
    .filter(Boolean)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  if (parts[0] === 'body' && parts.length > 1) parts.shift();
  return parts;
}

/**
 * Puts the problem's `errors[]` onto the form fields it names. `known` lists the form's top-level
 * field names (others are returned so the caller can show them elsewhere); `alias` renames API
 * fields (e.g. {password: 'new_password'}).
 * Returns the messages that did not land on a field, plus the title when no field matched.
 */
export function applyApiErrors(
  form: FormInstance,
  err: unknown,
  known: string[],
  alias: Record<string, string> = {},
): string[] {
  if (!(err instanceof ApiError)) return [errorMessage(err)];
  const list = err.problem.errors ?? [];
  const byField = new Map<string, { name: NamePath; errors: string[] }>();
  const rest: string[] = [];
  for (const e of list) {
    const path = fieldPath(e.field ?? '');
    if (path.length && typeof path[0] === 'string' && alias[path[0]]) path[0] = alias[path[0]];
    if (!path.length || !known.includes(String(path[0]))) {
      rest.push(e.message);
      continue;
    }
    const key = JSON.stringify(path);
    const entry = byField.get(key) ?? { name: path, errors: [] };
    entry.errors.push(e.message);
    byField.set(key, entry);
  }
  if (byField.size) form.setFields([...byField.values()]);
  if (!byField.size) return [errorMessage(err), ...rest.filter((m) => m !== errorMessage(err))];
  return rest;
}
