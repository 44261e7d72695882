/** Imports API (docs/catalog-api.md § Imports). */
import { apiDownload, apiFetch, toPage, type Page } from './client';
import type { Query, UploadTicket } from './catalog';

export type ImportStatus =
  | 'awaiting_upload'
  | 'parsing'
  | 'invalid'
  | 'ready'
  | 'committing'
  | 'committed'
  | 'rolling_back'
  | 'rolled_back'
  | 'failed'
  | 'cancelled';

export interface ImportField {
  field: string;
  label: string;
  required: boolean;
}

export interface ImportCounts {
  create: number;
  update: number;
  unchanged: number;
  error: number;
}

export interface ImportJob {
  id: string;
  kind: string;
  store_id: string | null;
  filename: string;
  status: ImportStatus;
  encoding: string | null;
  headers: string[] | null;
  mapping: Record<string, string | null> | null;
  total_rows: number | null;
  processed_rows: number | null;
  counts: ImportCounts | null;
  message: string | null;
  created_by: string | null;
  created_at: string;
  committed_at: string | null;
  rolled_back_at: string | null;
  version: number;
  fields: ImportField[] | null;
}

export type RowAction = 'create' | 'update' | 'unchanged' | 'error';

export interface ImportRowError {
  column: string | null;
  field: string | null;
  code: string;
  message: string;
  value: string | null;
}

export interface ImportRow {
  row_no: number;
  action: RowAction;
  key: string | null;
  data: Record<string, unknown> | null;
  diff: Record<string, [unknown, unknown]> | null;
  errors: ImportRowError[] | null;
}

export interface SavedMapping {
  id: string;
  kind: string;
  name: string;
  columns: Record<string, string | null>;
}

const enc = encodeURIComponent;

/** Kinds the import wizard handles (stocktake_count has its own dialog on the stocktake page). */
export type ImportKind = 'sku' | 'stock';

export const createImport = (body: { kind: ImportKind; filename: string; content_type: string; store_id: string | null; mapping_id?: string | null }) =>
  apiFetch<{ job: ImportJob; upload: UploadTicket }>('/imports', { method: 'POST', json: body });
export const listImports = (query: Query, signal?: AbortSignal) => apiFetch<Page<ImportJob>>('/imports', { query, signal }).then(toPage);
export const getImport = (id: string, signal?: AbortSignal) => apiFetch<ImportJob>(`/imports/${enc(id)}`, { signal, cache: 'no-store' });
export const putMapping = (id: string, mapping: Record<string, string | null>, saveAs?: string | null) =>
  apiFetch<ImportJob>(`/imports/${enc(id)}/mapping`, { method: 'PUT', json: { mapping, ...(saveAs ? { save_as: saveAs } : {}) } });
export const listImportRows = (id: string, query: Query, signal?: AbortSignal) =>
  apiFetch<Page<ImportRow>>(`/imports/${enc(id)}/rows`, { query, signal }).then(toPage);
export const downloadImportErrors = (id: string, format: 'csv' | 'xlsx') =>
  apiDownload(`/imports/${enc(id)}/errors`, `import-errors-${id}.${format}`, { query: { format } });
export const commitImport = (id: string, version: number) =>
  apiFetch<ImportJob>(`/imports/${enc(id)}/commit`, { method: 'POST', json: { version } });
export const rollbackImport = (id: string) => apiFetch<ImportJob>(`/imports/${enc(id)}/rollback`, { method: 'POST', json: {} });
export const cancelImport = (id: string) => apiFetch<ImportJob>(`/imports/${enc(id)}/cancel`, { method: 'POST', json: {} });
export const downloadTemplate = (format: 'csv' | 'xlsx', kind: ImportKind = 'sku') =>
  apiDownload('/imports/template', `${kind}-import-template.${format}`, { query: { kind, format } });
export const listMappings = (kind = 'sku') =>
  apiFetch<SavedMapping[] | Page<SavedMapping>>('/imports/mappings', { query: { kind } }).then((b) => toPage(b).items);
export const deleteMapping = (id: string) => apiFetch<void>(`/imports/mappings/${enc(id)}`, { method: 'DELETE' });

export const IMPORT_STATUS: Record<ImportStatus, { text: string; color: string }> = {
  awaiting_upload: { text: '待上传', color: 'default' },
  parsing: { text: '解析中', color: 'processing' },
  invalid: { text: '有错误', color: 'error' },
  ready: { text: '待提交', color: 'warning' },
  committing: { text: '提交中', color: 'processing' },
  committed: { text: '已导入', color: 'success' },
  rolling_back: { text: '回滚中', color: 'processing' },
  rolled_back: { text: '已回滚', color: 'default' },
  failed: { text: '失败', color: 'error' },
  cancelled: { text: '已取消', color: 'default' },
};

/** Statuses the server is still working on (poll). */
export const BUSY: ImportStatus[] = ['awaiting_upload', 'parsing', 'committing', 'rolling_back'];

/** Content type for an import file by its name. */
export function importContentType(name: string): string {
  if (/\.xlsx$/i.test(name)) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  return 'text/csv';
}
