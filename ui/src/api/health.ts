import { apiFetch } from './client';

export interface HealthCheck {
  name: string;
  up: boolean;
  adapter: string | null;
  latency_ms: number | null;
  detail: string | null;
}

export interface Health {
  status: 'up' | 'down' | string;
  version?: string;
  checks: HealthCheck[];
}

/** GET /health — 200 when up, 503 with the same shape when a required dependency is down. */
export function getHealth(signal?: AbortSignal): Promise<Health> {
  return apiFetch<Health>('/health', { signal, acceptStatus: [503], cache: 'no-store', auth: false });
}
