/** Inventory API (docs/inventory-api.md): moves, stock, ledger, transfers, stocktakes, alerts. */
import { apiDownload, apiFetch, toPage, type Page } from './client';
import type { Query, UploadTicket } from './catalog';
import type { ImportJob } from './imports';

/** Quantities arrive as integers for counted units and as decimal strings ("1.250") for weighed ones. */
export type Qty = number | string;

export type MoveReason = 'purchase_receipt' | 'supplier_return' | 'customer_return' | 'damage' | 'sale' | 'sale_refund' | 'adjustment';
export type LedgerReason = MoveReason | 'stocktake_gain' | 'stocktake_loss' | 'transfer_out' | 'transfer_in';

export interface StockRow {
  store_id: string;
  sku_id: string;
  sku_code: string;
  sku_name: string;
  unit: string | null;
  is_weighed: boolean;
  on_hand: Qty;
  reserved: Qty;
  in_transit: Qty;
  ats: Qty;
  updated_at: string | null;
  store_code?: string;
  category_id?: string | null;
  category_name?: string | null;
  /** The low-stock threshold in force (the SKU's own or the store default); null: none. */
  low_stock?: Qty | null;
}

export interface LedgerRow {
  id: string;
  sku_id?: string;
  sku_code: string;
  sku_name: string;
  is_weighed: boolean;
  qty_delta: Qty;
  on_hand_after: Qty;
  reason: LedgerReason;
  reason_code: string | null;
  note: string | null;
  ref: string | null;
  actor: string | null;
  occurred_at: string;
}

export interface MoveLineInput {
  sku_id: string;
  quantity: Qty;
}

export interface MoveInput {
  store_id: string;
  reason: MoveReason;
  lines: MoveLineInput[];
  ref?: string | null;
  reason_code?: string | null;
  note?: string;
}

export interface MoveResult {
  move_id: string;
  store_id: string;
  reason: MoveReason;
  ref: string | null;
  created_at: string;
  lines: { sku_id: string; ledger_id: string; qty_delta: Qty; on_hand_after: Qty }[];
}

// ---- transfers

export type TransferStatus = 'created' | 'shipped' | 'partially_received' | 'received' | 'closed' | 'cancelled';

export interface TransferLine {
  sku_id: string;
  sku_code: string;
  sku_name: string;
  unit: string | null;
  is_weighed: boolean;
  qty_requested: Qty;
  qty_shipped: Qty | null;
  qty_received: Qty;
  /** shipped − received − written off */
  qty_outstanding?: Qty;
  qty_lost?: Qty;
  discrepancy_reason?: string | null;
  discrepancy_note?: string | null;
}

export interface TransferReceipt {
  id: string;
  created_at: string;
  actor: string | null;
  lines: { sku_id: string; quantity?: Qty; qty?: Qty; discrepancy_reason?: string | null; note?: string | null }[];
}

export interface Transfer {
  id: string;
  code?: string | null;
  from_store_id: string;
  from_store_code?: string;
  from_store_name?: string;
  to_store_id: string;
  to_store_code?: string;
  to_store_name?: string;
  status: TransferStatus;
  note: string | null;
  created_at: string;
  shipped_at?: string | null;
  closed_at?: string | null;
  line_count?: number;
  lines?: TransferLine[];
  receipts?: TransferReceipt[];
  can_ship?: boolean;
  can_receive?: boolean;
  can_close?: boolean;
  can_cancel?: boolean;
  version: number;
}

// ---- stocktakes

export type StocktakeStatus = 'counting' | 'review' | 'approved' | 'cancelled';
export type VarianceReason = 'damage' | 'theft' | 'expired' | 'counting_error' | 'receiving_error' | 'other';

export interface StocktakeTotals {
  lines: number;
  counted: number;
  uncounted: number;
  variance_lines: number;
  reasons_missing: number;
  /** Mixed units: decimal strings. */
  gain_qty: string;
  loss_qty: string;
  /** Detail only: value at standard prices (money strings). */
  gain_value?: string;
  loss_value?: string;
  variance_value?: string;
  unpriced_lines?: number;
}

export interface Stocktake {
  id: string;
  code: string;
  store_id: string;
  store_code?: string;
  store_name?: string;
  status: StocktakeStatus;
  note: string | null;
  category_ids?: string[];
  snapshot_at?: string;
  created_at: string;
  created_by?: string | null;
  submitted_by?: string | null;
  submitted_at?: string | null;
  approved_by?: string | null;
  approved_at?: string | null;
  variance_value?: string | null;
  approval_threshold?: string | null;
  totals: StocktakeTotals;
  /** Detail only: above HQ's approval threshold a second person approves. */
  needs_second_approver?: boolean;
  can_count?: boolean;
  can_submit?: boolean;
  can_approve?: boolean;
  can_cancel?: boolean;
  can_recount?: boolean;
  can_set_reasons?: boolean;
  version: number;
}

export interface StocktakeLine {
  sku_id: string;
  sku_code: string;
  sku_name: string;
  unit: string | null;
  is_weighed: boolean;
  in_snapshot?: boolean;
  snapshot_qty: Qty;
  counted_qty: Qty | null;
  expected_qty: Qty | null;
  variance: Qty | null;
  variance_value?: string | null;
  reason: VarianceReason | null;
  note: string | null;
  recount?: boolean;
}

// ---- alerts

export type AlertKind = 'low_stock' | 'slow_mover' | 'negative';

export interface StockAlert {
  id: string;
  store_id: string;
  sku_id: string;
  sku_code: string;
  sku_name: string;
  is_weighed: boolean;
  kind: AlertKind;
  status: 'open' | 'acknowledged' | 'resolved';
  /** On hand now, and when the alert was raised. */
  on_hand: Qty | null;
  on_hand_when_raised: Qty | null;
  threshold: Qty | null;
  last_sale_at: string | null;
  opened_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
}

export interface Threshold {
  sku_id: string;
  sku_code: string;
  sku_name: string;
  is_weighed: boolean;
  low_stock: Qty;
  actor: string | null;
  updated_at: string;
}

export interface Thresholds extends Page<Threshold> {
  store_id: string;
  low_stock_default: Qty | null;
  slow_mover_days: number;
}

const enc = encodeURIComponent;
const withKey = (key: string) => ({ 'Idempotency-Key': key });

// ---- moves, stock, ledger

export const postMove = (body: MoveInput, idempotencyKey: string) =>
  apiFetch<MoveResult>('/inventory/move', { method: 'POST', json: body, headers: withKey(idempotencyKey) });
export const listStock = (query: Query, signal?: AbortSignal) => apiFetch<Page<StockRow>>('/inventory/stock', { query, signal }).then(toPage);
export const exportStock = (query: Query, format: 'csv' | 'xlsx') =>
  apiDownload('/inventory/stock', `stock-${Date.now()}.${format}`, { query: { ...query, format, cursor: undefined, limit: undefined } });
export const listLedger = (query: Query, signal?: AbortSignal) => apiFetch<Page<LedgerRow>>('/inventory/ledger', { query, signal }).then(toPage);

/** On hand of one SKU at a store at a past moment, summed from the ledger. */
export interface StockAsOfRow {
  sku_id: string;
  sku_code?: string;
  sku_name?: string;
  is_weighed?: boolean;
  on_hand: Qty;
}

/** `GET /inventory/stock-as-of?store_id=&at=&sku_id=&limit=&cursor=` (at: ISO 8601 with offset); keyset pages by SKU. */
export const listStockAsOf = (query: Query, signal?: AbortSignal) =>
  apiFetch<Page<StockAsOfRow> & { store_id: string; at: string }>('/inventory/stock-as-of', { query, signal }).then(toPage);

// ---- transfers

export const createTransfer = (body: { from_store_id: string; to_store_id: string; lines: MoveLineInput[]; note?: string }, key: string) =>
  apiFetch<Transfer>('/inventory/transfers', { method: 'POST', json: body, headers: withKey(key) });
/** Where a transfer from this store may go: every other active store (code and name only). */
export const listTransferDestinations = (fromStoreId: string) =>
  apiFetch<Page<{ id: string; code: string; name: string }>>('/inventory/transfer-destinations', { query: { from_store_id: fromStoreId } }).then(toPage);
export const listTransfers = (query: Query, signal?: AbortSignal) => apiFetch<Page<Transfer>>('/inventory/transfers', { query, signal }).then(toPage);
export const getTransfer = (id: string) => apiFetch<Transfer>(`/inventory/transfers/${enc(id)}`);
export const shipTransfer = (id: string, version: number) =>
  apiFetch<Transfer>(`/inventory/transfers/${enc(id)}/ship`, { method: 'POST', json: { version } });
export const receiveTransfer = (id: string, lines: { sku_id: string; quantity: Qty; discrepancy_reason?: string | null; note?: string | null }[], key: string) =>
  apiFetch<Transfer>(`/inventory/transfers/${enc(id)}/receive`, { method: 'POST', json: { lines }, headers: withKey(key) });
export const closeTransfer = (id: string, version: number, discrepancy_reason?: string) =>
  apiFetch<Transfer>(`/inventory/transfers/${enc(id)}/close`, { method: 'POST', json: { version, ...(discrepancy_reason ? { discrepancy_reason } : {}) } });
export const cancelTransfer = (id: string, version: number) =>
  apiFetch<Transfer>(`/inventory/transfers/${enc(id)}/cancel`, { method: 'POST', json: { version } });

// ---- stocktakes

export const createStocktake = (body: { store_id: string; category_ids?: string[]; note?: string }, key: string) =>
  apiFetch<Stocktake>('/inventory/stocktakes', { method: 'POST', json: body, headers: withKey(key) });
export const listStocktakes = (query: Query, signal?: AbortSignal) => apiFetch<Page<Stocktake>>('/inventory/stocktakes', { query, signal }).then(toPage);
export const getStocktake = (id: string) => apiFetch<Stocktake>(`/inventory/stocktakes/${enc(id)}`);
export const listStocktakeLines = (id: string, query: Query, signal?: AbortSignal) =>
  apiFetch<Page<StocktakeLine>>(`/inventory/stocktakes/${enc(id)}/lines`, { query, signal }).then(toPage);
export const putCounts = (id: string, counts: { sku_id?: string; barcode?: string; quantity: Qty }[], mode: 'set' | 'add') =>
  apiFetch<unknown>(`/inventory/stocktakes/${enc(id)}/counts`, { method: 'PUT', json: { counts, mode } });
export const submitStocktake = (id: string, version: number, uncounted_as_zero: boolean) =>
  apiFetch<Stocktake>(`/inventory/stocktakes/${enc(id)}/submit`, { method: 'POST', json: { version, uncounted_as_zero } });
export const putLineReasons = (id: string, lines: { sku_id: string; reason: VarianceReason; note?: string }[]) =>
  apiFetch<unknown>(`/inventory/stocktakes/${enc(id)}/lines/reasons`, { method: 'PUT', json: { lines } });
export const recountStocktake = (id: string, sku_ids: string[]) =>
  apiFetch<Stocktake>(`/inventory/stocktakes/${enc(id)}/recount`, { method: 'POST', json: { sku_ids } });
export const approveStocktake = (id: string, version: number) =>
  apiFetch<Stocktake>(`/inventory/stocktakes/${enc(id)}/approve`, { method: 'POST', json: { version } });
export const cancelStocktake = (id: string, version: number) =>
  apiFetch<Stocktake>(`/inventory/stocktakes/${enc(id)}/cancel`, { method: 'POST', json: { version } });

// ---- alerts

export const listAlerts = (query: Query, signal?: AbortSignal) => apiFetch<Page<StockAlert>>('/inventory/alerts', { query, signal }).then(toPage);
export const ackAlert = (id: string) => apiFetch<StockAlert>(`/inventory/alerts/${enc(id)}/ack`, { method: 'POST', json: {} });
export const getThresholds = (query: Query, signal?: AbortSignal) => apiFetch<Thresholds>('/inventory/thresholds', { query, signal });
/** low_stock null removes the SKU's own threshold (or the store default). */
export const putThreshold = (body: { store_id: string; sku_id: string | null; low_stock: Qty | null; slow_mover_days?: number | null }) =>
  apiFetch<unknown>('/inventory/thresholds', { method: 'PUT', json: body });

// ---- scanner files for a stocktake (the imports pipeline, kind stocktake_count)

/** A new import job whose file holds counts for this stocktake; upload the file to `upload`. */
export const createStocktakeImport = (s: Pick<Stocktake, 'id' | 'store_id'>, filename: string, content_type: string) =>
  apiFetch<{ job: ImportJob; upload: UploadTicket }>('/imports', {
    method: 'POST',
    json: { kind: 'stocktake_count', filename, content_type, store_id: s.store_id, target_id: s.id },
  });
export const downloadStocktakeTemplate = (format: 'csv' | 'xlsx') =>
  apiDownload('/imports/template', `stocktake-count-template.${format}`, { query: { kind: 'stocktake_count', format } });
