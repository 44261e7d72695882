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

/** Audit actions of the catalog (SKU history, the system audit log). */
export const CATALOG_ACTION_LABELS: Record<string, string> = {
  'catalog.sku.create': '新建商品',
  'catalog.sku.update': '修改商品',
  'catalog.sku.status': '修改状态',
  'catalog.sku.image.add': '上传图片',
  'catalog.sku.image.delete': '删除图片',
  'catalog.sku.image.main': '设置主图',
  'catalog.sku.image.reorder': '调整图片顺序',
  'catalog.price.create': '调价',
  'catalog.price.cancel': '取消调价',
  'catalog.category.create': '新建类目',
  'catalog.category.update': '修改类目',
  'catalog.category.delete': '删除类目',
  'catalog.brand.create': '新建品牌',
  'catalog.brand.update': '修改品牌',
  'catalog.brand.delete': '删除品牌',
  'imports.create': '新建导入',
  'imports.commit': '导入',
  'imports.rollback': '导入回滚',
  'imports.mapping.save': '保存导入映射',
  'imports.mapping.delete': '删除导入映射',
};
