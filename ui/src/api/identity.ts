/** Identity, access and system API (docs/identity-api.md). */
import { apiDownload, apiFetch, fetchAll, toPage, type Page } from './client';
import type { LoginResult } from '../auth/tokens';

export type ScopeType = 'global' | 'regions' | 'stores';

export interface StoreRef {
  id: string;
  code: string;
  name: string;
  region_id: string | null;
}

export interface RoleBinding {
  binding_id: string;
  role_code: string;
  role_name: string;
  scope_type: ScopeType;
  scope_ids: string[];
}

export interface Me {
  id: string;
  username: string;
  display_name: string;
  permissions: string[];
  all_stores: boolean;
  stores: StoreRef[];
  roles: RoleBinding[];
  totp_enabled: boolean;
  must_change_password: boolean;
}

export interface Permission {
  code: string;
  name: string;
  module: string;
}

export interface Role {
  code: string;
  name: string;
  builtin: boolean;
  permissions: string[];
  version: number;
}

export interface Region {
  id: string;
  code: string;
  name: string;
  version: number;
}

export type StoreStatus = 'active' | 'preparing' | 'closed';

export interface Store {
  id: string;
  code: string;
  name: string;
  region_id: string | null;
  region_name: string | null;
  address: string;
  business_hours: string;
  status: StoreStatus;
  timezone: string;
  version: number;
}

export type UserStatus = 'active' | 'disabled';

export interface User {
  id: string;
  username: string;
  display_name: string;
  status: UserStatus;
  roles: RoleBinding[];
  last_login_at: string | null;
  created_at: string;
  version: number;
}

export interface BindingInput {
  role_code: string;
  scope_type: ScopeType;
  scope_ids: string[];
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  permissions: string[];
  scope_type: ScopeType;
  scope_ids: string[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface Audit {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  store_id: string | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
  source_ip: string | null;
}

export type ListQuery = Record<string, string | number | null | undefined>;

// ---- auth

export const login = (body: { username: string; password: string; totp_code?: string }) =>
  apiFetch<LoginResult>('/auth/login', { method: 'POST', json: body, auth: false });
export const logout = () => apiFetch<void>('/auth/logout', { method: 'POST', json: {} });
export const getMe = (signal?: AbortSignal) => apiFetch<Me>('/auth/me', { signal, cache: 'no-store' });
export const changePassword = (body: { old_password: string; new_password: string }) =>
  apiFetch<void>('/auth/password', { method: 'POST', json: body });

// ---- roles & permissions

export const listPermissions = () => apiFetch<Permission[] | Page<Permission>>('/system/permissions').then((b) => toPage(b).items);
export const listRoles = () => apiFetch<Role[] | Page<Role>>('/system/roles').then((b) => toPage(b).items);
export const createRole = (body: { code: string; name: string; permissions: string[] }) =>
  apiFetch<Role>('/system/roles', { method: 'POST', json: body });
export const updateRole = (code: string, body: { name: string; permissions: string[]; version: number }) =>
  apiFetch<Role>(`/system/roles/${encodeURIComponent(code)}`, { method: 'PUT', json: body });

// ---- regions & stores

export const listRegions = () => fetchAll<Region>('/system/regions');
export const createRegion = (body: { code: string; name: string }) =>
  apiFetch<Region>('/system/regions', { method: 'POST', json: body });
export const updateRegion = (id: string, body: { name: string; version: number }) =>
  apiFetch<Region>(`/system/regions/${encodeURIComponent(id)}`, { method: 'PUT', json: body });

export const listStores = (query: ListQuery, signal?: AbortSignal) =>
  apiFetch<Page<Store>>('/system/stores', { query, signal }).then(toPage);
export const listAllStores = (query: ListQuery = {}) => fetchAll<Store>('/system/stores', query);
export type StoreInput = Omit<Store, 'id' | 'region_name' | 'version'>;
export const createStore = (body: StoreInput) => apiFetch<Store>('/system/stores', { method: 'POST', json: body });
export const updateStore = (id: string, body: StoreInput & { version: number }) =>
  apiFetch<Store>(`/system/stores/${encodeURIComponent(id)}`, { method: 'PUT', json: body });

// ---- users

export const listUsers = (query: ListQuery, signal?: AbortSignal) =>
  apiFetch<Page<User>>('/system/users', { query, signal }).then(toPage);
export const listAllUsers = (query: ListQuery = {}) => fetchAll<User>('/system/users', query);
export const createUser = (body: { username: string; display_name: string; password: string; bindings: BindingInput[] }) =>
  apiFetch<User>('/system/users', { method: 'POST', json: body });
export const updateUser = (id: string, body: { display_name: string; status: UserStatus; version: number }) =>
  apiFetch<User>(`/system/users/${encodeURIComponent(id)}`, { method: 'PUT', json: body });
export const addBinding = (userId: string, body: BindingInput) =>
  apiFetch<RoleBinding>(`/system/users/${encodeURIComponent(userId)}/bindings`, { method: 'POST', json: body });
export const removeBinding = (userId: string, bindingId: string) =>
  apiFetch<void>(`/system/users/${encodeURIComponent(userId)}/bindings/${encodeURIComponent(bindingId)}`, {
    method: 'DELETE',
  });
export const resetPassword = (userId: string, password: string) =>
  apiFetch<void>(`/system/users/${encodeURIComponent(userId)}/password`, { method: 'POST', json: { password } });

// ---- api keys

export const listApiKeys = (query: ListQuery, signal?: AbortSignal) =>
  apiFetch<Page<ApiKey> | ApiKey[]>('/system/api-keys', { query, signal }).then(toPage);
export const createApiKey = (body: { name: string; permissions: string[]; scope_type: ScopeType; scope_ids: string[] }) =>
  apiFetch<ApiKey & { key: string }>('/system/api-keys', { method: 'POST', json: body });
export const revokeApiKey = (id: string) =>
  apiFetch<void>(`/system/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' });

// ---- audit

export const listAudit = (query: ListQuery, signal?: AbortSignal) =>
  apiFetch<Page<Audit>>('/system/audit', { query, signal }).then(toPage);
export const exportAuditCsv = (query: ListQuery, filename: string) =>
  apiDownload('/system/audit', filename, { query: { ...query, format: 'csv' } });
