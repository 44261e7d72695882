import type { PriceKind, PriceState, SkuStatus } from '../../api/catalog';

export const SKU_STATUS: Record<SkuStatus, { text: string; color: string }> = {
  draft: { text: '草稿', color: 'default' },
  active: { text: '在售', color: 'success' },
  discontinued: { text: '停售', color: 'error' },
};

export const SKU_STATUS_OPTIONS = (Object.keys(SKU_STATUS) as SkuStatus[]).map((k) => ({ value: k, label: SKU_STATUS[k].text }));

export const PRICE_KIND: Record<PriceKind, string> = { standard: '标准价', member: '会员价', temporary: '临时价' };

export const PRICE_STATE: Record<PriceState, { text: string; color: string }> = {
  past: { text: '已生效', color: 'default' },
  current: { text: '当前', color: 'success' },
  scheduled: { text: '待生效', color: 'processing' },
  cancelled: { text: '已取消', color: 'error' },
};

/** `rule` of a price quote → label ("standard" / "member" / "temporary"). */
export const ruleLabel = (rule: string | null | undefined) => (rule ? (PRICE_KIND as Record<string, string>)[rule] ?? rule : '—');

export const TAX_RATES = ['0.13', '0.09', '0.06', '0.03', '0'];
export const taxLabel = (r: string | null | undefined) => {
  if (r === null || r === undefined || r === '') return '—';
  const n = Number(r);
  return Number.isFinite(n) ? `${Math.round(n * 10000) / 100}%` : r;
};

export const HQ = 'hq';
