import { Input, type InputProps } from 'antd';
import type { Rule } from 'antd/es/form';

/** A decimal-string money box ("12.50"): ¥ prefix, no float conversion. */
export default function MoneyInput(props: Omit<InputProps, 'prefix'>) {
  return <Input prefix="¥" inputMode="decimal" autoComplete="off" placeholder="0.00" style={{ maxWidth: 200 }} {...props} />;
}

export const MONEY_RE = /^\d{1,9}(\.\d{1,2})?$/;

/** Form rules for a money field (mirrors catalog.price.invalid / not_positive). */
export function moneyRules(required: boolean, label = '价格'): Rule[] {
  return [
    ...(required ? [{ required: true, message: `请输入${label}` }] : []),
    {
      validator: async (_: unknown, v: string | undefined) => {
        if (v === undefined || v === null || v === '') return;
        if (!MONEY_RE.test(String(v).trim())) throw new Error(`${label}格式不正确，最多两位小数`);
        if (Number(v) <= 0) throw new Error(`${label}必须大于 0`);
      },
    },
  ];
}

/** "12.5" → "12.50" (string arithmetic only). */
export function normalizeMoney(v: string | null | undefined): string | null {
  if (v === undefined || v === null || String(v).trim() === '') return null;
  const s = String(v).trim();
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return s;
  return `${m[1].replace(/^0+(?=\d)/, '')}.${((m[2] ?? '') + '00').slice(0, 2)}`;
}
