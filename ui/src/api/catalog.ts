/** Catalog, prices and images API (docs/catalog-api.md). */
import { apiDownload, apiFetch, apiRequest, fetchAll, toPage, type Page } from './client';

export type Query = Record<string, string | number | boolean | null | undefined>;

export type SkuStatus = 'draft' | 'active' | 'discontinued';

export interface Pack {
  id?: string;
  name: string;
  quantity: string;
}

export interface Barcode {
  code: string;
  kind?: string;
  pack_name: string | null;
}

export interface ImageRef {
  id: string;
  url: string;
  thumb_url: string;
}

export interface SkuPrice {
  amount: string | null;
  member_amount: string | null;
  rule: string | null;
}

export interface Sku {
  id: string;
  code: string;
  store_id: string | null;
  name: string;
  short_name: string | null;
  brand_id: string | null;
  brand_name: string | null;
  category_id: string | null;
  category_name: string | null;
  category_path: string[];
  unit: string | null;
  is_weighed: boolean;
  plu: string | null;
  tax_rate: string;
  origin: string | null;
  shelf_life_days: number | null;
  status: SkuStatus;
  attributes: Record<string, string>;
  packs: Pack[];
  barcodes: Barcode[];
  main_image: ImageRef | null;
  /** Only with `store_id` in the list query: the price in force now at that store. */
  price?: SkuPrice | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface SkuInput {
  code: string;
  name: string;
  short_name?: string | null;
  brand_id?: string | null;
  category_id: string | null;
  unit?: string | null;
  is_weighed: boolean;
  plu?: string | null;
  tax_rate: string;
  origin?: string | null;
  shelf_life_days?: number | null;
  status: SkuStatus;
  attributes?: Record<string, string>;
  store_id: string | null;
  packs: { name: string; quantity: string }[];
  barcodes: { code: string; pack_name: string | null }[];
  standard_price?: string | null;
  member_price?: string | null;
}

export interface HistoryEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  before: unknown;
  after: unknown;
}

export interface Category {
  id: string;
  code: string;
  name: string;
  parent_id: string | null;
  path: string[];
  depth: number;
  sort: number;
  sku_count: number;
  version: number;
}

export interface Brand {
  id: string;
  code: string;
  name: string;
  sku_count: number;
  version: number;
}

export type PriceKind = 'standard' | 'member' | 'temporary';
export type PriceState = 'past' | 'current' | 'scheduled' | 'cancelled';

export interface PriceRow {
  id: string;
  sku_id: string;
  store_id: string | null;
  kind: PriceKind;
  tier: string | null;
  amount: string;
  starts_at: string;
  ends_at: string | null;
  status: 'active' | 'cancelled';
  state: PriceState;
  note: string | null;
  created_by: string | null;
  created_at: string;
}

export interface PriceInput {
  store_id: string | null;
  kind: PriceKind;
  tier?: string | null;
  amount: string;
  starts_at?: string;
  ends_at?: string | null;
  note?: string | null;
}

export interface PriceCandidate {
  rule: string;
  amount: string;
  price_id: string | null;
  store_id: string | null;
}

export interface PriceQuote {
  sku_id: string;
  store_id: string | null;
  at: string;
  tier: string | null;
  amount: string;
  rule: string;
  price_id: string | null;
  standard_amount: string | null;
  candidates: PriceCandidate[];
}

export interface PriceGuard {
  store_id: string | null;
  max_down_pct: string | number;
  max_up_pct: string | number;
}

export interface MemberTier {
  code: string;
  name: string;
  rank: number;
}

export interface SkuImage {
  id: string;
  url: string;
  thumb_url: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  position: number;
  is_main: boolean;
}

export interface UploadTicket {
  key: string;
  url: string;
  method: string;
  content_type: string;
  expires_at: string;
}

export interface BarcodeHit {
  sku: Sku;
  pack_name: string | null;
  quantity: string;
  label_price: string | null;
}

export interface SavedView<S = unknown> {
  id: string;
  page: string;
  name: string;
  state: S;
}

const enc = encodeURIComponent;
/** A list endpoint may answer `{items, next_cursor}` or a bare array. */
const listOf = <T,>(b: Page<T> | T[]) => toPage(b).items;

// ---- SKUs

export const listSkus = (query: Query, signal?: AbortSignal) => apiFetch<Page<Sku>>('/catalog/sku', { query, signal }).then(toPage);
export const exportSkus = (query: Query, format: 'csv' | 'xlsx') =>
  apiDownload('/catalog/sku', `sku-${Date.now()}.${format}`, { query: { ...query, format, cursor: undefined, limit: undefined } });
export const getSku = (id: string, signal?: AbortSignal) => apiFetch<Sku>(`/catalog/sku/${enc(id)}`, { signal });
export const createSku = (body: SkuInput, idempotencyKey?: string) =>
  apiFetch<Sku>('/catalog/sku', { method: 'POST', json: body, headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : undefined });
export const updateSku = (id: string, body: SkuInput & { version: number }) =>
  apiFetch<Sku>(`/catalog/sku/${enc(id)}`, { method: 'PUT', json: body });
export const batchSkuStatus = (ids: string[], status: SkuStatus) =>
  apiFetch<{ updated: number }>('/catalog/sku/batch-status', { method: 'POST', json: { ids, status } });
export const skuHistory = (id: string, query: Query, signal?: AbortSignal) =>
  apiFetch<Page<HistoryEntry>>(`/catalog/sku/${enc(id)}/history`, { query, signal }).then(toPage);
export const resolveBarcode = (code: string) => apiFetch<BarcodeHit>(`/catalog/barcodes/${enc(code)}`);

// ---- categories & brands

export const listCategories = () => apiFetch<Category[] | Page<Category>>('/catalog/categories').then(listOf);
export const createCategory = (body: { code: string; name: string; parent_id: string | null; sort?: number }) =>
  apiFetch<Category>('/catalog/categories', { method: 'POST', json: body });
export const updateCategory = (id: string, body: { name: string; parent_id: string | null; sort: number; version: number }) =>
  apiFetch<Category>(`/catalog/categories/${enc(id)}`, { method: 'PUT', json: body });
export const deleteCategory = (id: string) => apiFetch<void>(`/catalog/categories/${enc(id)}`, { method: 'DELETE' });

export const listBrands = (query: Query, signal?: AbortSignal) => apiFetch<Page<Brand>>('/catalog/brands', { query, signal }).then(toPage);
export const listAllBrands = () => fetchAll<Brand>('/catalog/brands');
export const createBrand = (body: { code: string; name: string }) => apiFetch<Brand>('/catalog/brands', { method: 'POST', json: body });
export const updateBrand = (id: string, body: { name: string; version: number }) =>
  apiFetch<Brand>(`/catalog/brands/${enc(id)}`, { method: 'PUT', json: body });
export const deleteBrand = (id: string) => apiFetch<void>(`/catalog/brands/${enc(id)}`, { method: 'DELETE' });

// ---- prices

export const quotePrice = (query: { sku_id: string; store_id?: string | null; at?: string; tier?: string | null }) =>
  apiFetch<PriceQuote>('/catalog/price', { query });
export const listSkuPrices = (id: string, storeId: string | null) =>
  apiFetch<PriceRow[] | Page<PriceRow>>(`/catalog/sku/${enc(id)}/prices`, { query: { store_id: storeId } }).then(listOf);
export const createPrice = (id: string, body: PriceInput) => apiFetch<PriceRow>(`/catalog/sku/${enc(id)}/prices`, { method: 'POST', json: body });
export const cancelPrice = (priceId: string) => apiFetch<PriceRow>(`/catalog/prices/${enc(priceId)}/cancel`, { method: 'POST', json: {} });
export const listPriceGuards = () => apiFetch<PriceGuard[] | Page<PriceGuard>>('/catalog/price-guards').then(listOf);
export const putPriceGuard = (body: PriceGuard) => apiFetch<PriceGuard>('/catalog/price-guards', { method: 'PUT', json: body });
export const listMemberTiers = () => apiFetch<MemberTier[] | Page<MemberTier>>('/catalog/member-tiers').then(listOf);

// ---- images

export const listImages = (id: string) => apiFetch<SkuImage[] | Page<SkuImage>>(`/catalog/sku/${enc(id)}/images`).then(listOf);
export const requestImageUpload = (id: string, body: { filename: string; content_type: string; size: number }) =>
  apiFetch<UploadTicket>(`/catalog/sku/${enc(id)}/images/uploads`, { method: 'POST', json: body });
export const addImage = (id: string, key: string) => apiFetch<SkuImage>(`/catalog/sku/${enc(id)}/images`, { method: 'POST', json: { key } });
export const orderImages = (id: string, ids: string[]) =>
  apiFetch<SkuImage[] | Page<SkuImage>>(`/catalog/sku/${enc(id)}/images/order`, { method: 'PUT', json: { ids } }).then(listOf);
export const setMainImage = (id: string, imageId: string) =>
  apiFetch<SkuImage[] | Page<SkuImage>>(`/catalog/sku/${enc(id)}/images/${enc(imageId)}/main`, { method: 'POST', json: {} }).then(listOf);
export const deleteImage = (id: string, imageId: string) => apiFetch<void>(`/catalog/sku/${enc(id)}/images/${enc(imageId)}`, { method: 'DELETE' });

/**
 * PUT a file to a presigned URL (object storage, not the API: no Authorization header). The
 * Content-Type must be exactly the one the URL was signed for.
 */
export async function putToPresigned(ticket: { url: string; method?: string; content_type: string }, file: Blob, onProgress?: (pct: number) => void): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method || 'PUT', ticket.url);
    xhr.setRequestHeader('Content-Type', ticket.content_type);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && onProgress) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`文件上传失败（HTTP ${xhr.status}）`)));
    xhr.onerror = () => reject(new Error('文件上传失败，请检查网络'));
    xhr.send(file);
  });
}

// ---- saved views (system-api)

export const listViews = <S,>(page: string) => apiFetch<SavedView<S>[] | Page<SavedView<S>>>('/system/views', { query: { page } }).then(listOf);
export const saveView = <S,>(page: string, name: string, state: S) =>
  apiFetch<SavedView<S>>('/system/views', { method: 'PUT', json: { page, name, state } });
export const deleteView = (id: string) => apiFetch<void>(`/system/views/${enc(id)}`, { method: 'DELETE' });

/** Raw request (e.g. exports that need a content-type check). */
export { apiRequest };
