import type { AlertKind, LedgerReason, MoveReason, Qty, StocktakeStatus, Transfer, TransferStatus, VarianceReason } from '../../api/inventory';

/** Ledger reasons in the words a shop manager uses; sign = which way the stock goes. */
export const REASON_LABELS: Record<LedgerReason, string> = {
  purchase_receipt: '采购收货',
  supplier_return: '退货给供应商',
  customer_return: '顾客退货',
  damage: '报损',
  sale: '销售',
  sale_refund: '销售退款',
  adjustment: '手工调整',
  stocktake_gain: '盘盈',
  stocktake_loss: '盘亏',
  transfer_out: '调拨出库',
  transfer_in: '调拨入库',
};
export const reasonLabel = (r: string | null | undefined) => (r ? (REASON_LABELS as Record<string, string>)[r] ?? r : '—');

/** What the move page offers, in the order a store uses them most. */
export const MOVE_REASONS: { value: MoveReason; label: string; inbound: boolean | null }[] = [
  { value: 'purchase_receipt', label: '采购收货（入库）', inbound: true },
  { value: 'customer_return', label: '顾客退货（入库）', inbound: true },
  { value: 'supplier_return', label: '退货给供应商（出库）', inbound: false },
  { value: 'damage', label: '报损（出库）', inbound: false },
  { value: 'adjustment', label: '手工调整（可正可负）', inbound: null },
];

/** Adjustment reason codes (free text on the API; these are the usual ones). */
export const ADJUSTMENT_CODES = [
  { value: 'correction', label: '更正录入错误' },
  { value: 'found', label: '找到遗失商品' },
  { value: 'sample', label: '试吃 / 样品' },
  { value: 'internal_use', label: '店内自用' },
  { value: 'other', label: '其他' },
];

/** An adjustment's reason code in words (other codes, e.g. a stocktake's, as they are). */
export const reasonCodeLabel = (c: string | null | undefined) => (c ? ADJUSTMENT_CODES.find((x) => x.value === c)?.label ?? c : null);

export const TRANSFER_STATUS: Record<TransferStatus, { text: string; color: string }> = {
  created: { text: '待发货', color: 'default' },
  shipped: { text: '在途', color: 'processing' },
  partially_received: { text: '部分收货', color: 'warning' },
  received: { text: '已收货', color: 'success' },
  closed: { text: '已完结', color: 'default' },
  cancelled: { text: '已取消', color: 'error' },
};

export const STOCKTAKE_STATUS: Record<StocktakeStatus, { text: string; color: string }> = {
  counting: { text: '盘点中', color: 'processing' },
  review: { text: '待审核', color: 'warning' },
  approved: { text: '已审核', color: 'success' },
  cancelled: { text: '已取消', color: 'error' },
};

export const VARIANCE_REASONS: { value: VarianceReason; label: string }[] = [
  { value: 'counting_error', label: '点数错误' },
  { value: 'receiving_error', label: '收货差错' },
  { value: 'damage', label: '破损' },
  { value: 'expired', label: '过期' },
  { value: 'theft', label: '丢失 / 被盗' },
  { value: 'other', label: '其他' },
];

export const ALERT_KIND: Record<AlertKind, { text: string; color: string }> = {
  low_stock: { text: '库存偏低', color: 'orange' },
  slow_mover: { text: '滞销', color: 'blue' },
  negative: { text: '负库存', color: 'red' },
};

/** "12" / "1.250" → "12" / "1.25"; kg keeps its decimals, counted units stay whole. No float maths. */
export function fmtQty(q: Qty | null | undefined): string {
  if (q === null || q === undefined || q === '') return '—';
  const s = String(q);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Signed quantity for the ledger: "+12" / "-3". */
export function fmtDelta(q: Qty): string {
  const s = fmtQty(q);
  return s.startsWith('-') ? s : `+${s}`;
}

/** A gain (+) or loss (−) total, "0" when there is none. */
export function fmtSigned(q: Qty, sign: '+' | '-'): string {
  return isZero(q) ? '0' : `${sign}${fmtQty(q)}`;
}

/** true when the quantity is below zero (string or number, no float parsing of decimals needed). */
export const isNegative = (q: Qty | null | undefined) => q !== null && q !== undefined && String(q).trim().startsWith('-');
export const isZero = (q: Qty | null | undefined) => q !== null && q !== undefined && /^-?0*(\.0*)?$/.test(String(q).trim());

/** "1.25" → 1250 (thousandths, the API's precision), exact: quantities are added without floats. */
function toMilli(q: string): bigint | null {
  const m = /^(-)?(\d*)(?:\.(\d{0,3}))?$/.exec(q.trim());
  if (!m || (!m[2] && !m[3])) return null;
  const v = BigInt(m[2] || '0') * 1000n + BigInt(((m[3] ?? '') + '000').slice(0, 3));
  return m[1] ? -v : v;
}

function fromMilli(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = String(a % 1000n).padStart(3, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 1000n}${frac ? `.${frac}` : ''}`;
}

/** a + b for decimal quantity strings; null when either is not a number with ≤ 3 decimals. */
export function addQty(a: Qty, b: Qty): string | null {
  const x = toMilli(String(a));
  const y = toMilli(String(b));
  return x === null || y === null ? null : fromMilli(x + y);
}

/** a − b (variance, what is still to receive). */
export function subQty(a: Qty, b: Qty): string | null {
  const x = toMilli(String(a));
  const y = toMilli(String(b));
  return x === null || y === null ? null : fromMilli(x - y);
}

/** Why a transfer line arrived different from what was shipped. */
export const TRANSFER_DISCREPANCY: { value: string; label: string }[] = [
  { value: 'short', label: '少收' },
  { value: 'over', label: '多收' },
  { value: 'damaged', label: '途中破损' },
  { value: 'wrong_item', label: '发错商品' },
  { value: 'other', label: '其他' },
];

/** The transfer's own store names: the other store may be outside the caller's store list. */
export const fromName = (t: Transfer, storeName: (id: string) => string) => (t.from_store_code ? `${t.from_store_code} ${t.from_store_name ?? ''}` : storeName(t.from_store_id));
export const toName = (t: Transfer, storeName: (id: string) => string) => (t.to_store_code ? `${t.to_store_code} ${t.to_store_name ?? ''}` : storeName(t.to_store_id));
