import type { ImportKind } from '../../api/imports';

/** What differs between the import kinds the wizard and the list handle (the route picks the kind). */
export interface KindConfig {
  kind: ImportKind;
  /** List URL; the wizard is `${base}/new` and `${base}/:id`. */
  base: string;
  title: string;
  subTitle: string;
  /** Where a finished import is looked at. */
  resultLink: (storeId: string | null) => { to: string; label: string };
  /** File name prefix of the job list export. */
  exportName: string;
}

export const KINDS: Record<ImportKind, KindConfig> = {
  sku: {
    kind: 'sku',
    base: '/imports',
    title: '商品导入',
    subTitle: '上传 CSV / Excel，校验与预览差异后一次性提交，可整体回滚',
    resultLink: () => ({ to: '/catalog/sku', label: '查看商品列表' }),
    exportName: 'imports',
  },
  stock: {
    kind: 'stock',
    base: '/inventory/imports',
    title: '库存导入',
    subTitle: '期初库存或盘点清单：上传后先看“现有 → 清点”差异，确认后一次性过账，可整体回滚',
    resultLink: (storeId) => ({ to: storeId ? `/inventory/stock?store_id=${encodeURIComponent(storeId)}` : '/inventory/stock', label: '查看库存总览' }),
    exportName: 'stock-imports',
  },
};

/** "S001:100003" (the stock kind's row key) → store code and SKU code / barcode. */
export function splitStockKey(key: string | null): { store: string; sku: string } {
  if (!key) return { store: '', sku: '' };
  const i = key.indexOf(':');
  return i < 0 ? { store: '', sku: key } : { store: key.slice(0, i), sku: key.slice(i + 1) };
}
