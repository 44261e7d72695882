/** Display formatting: dates in Asia/Shanghai, money with ¥ and two decimals. */
import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';
import customParseFormat from 'dayjs/plugin/customParseFormat';

dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.extend(customParseFormat);

export const TZ = 'Asia/Shanghai';

/** ISO 8601 (any offset) → "2026-01-31 14:05:09" in Asia/Shanghai; '—' when empty. */
export function formatDateTime(iso: string | null | undefined, fmt = 'YYYY-MM-DD HH:mm:ss'): string {
  if (!iso) return '—';
  const d = dayjs(iso);
  return d.isValid() ? d.tz(TZ).format(fmt) : String(iso);
}

export function formatDate(iso: string | null | undefined): string {
  return formatDateTime(iso, 'YYYY-MM-DD');
}

/** A picker value (wall time meant in Asia/Shanghai) → ISO 8601 with +08:00. */
export function toApiTime(d: Dayjs | null | undefined): string | undefined {
  if (!d) return undefined;
  return dayjs.tz(d.format('YYYY-MM-DDTHH:mm:ss'), TZ).format();
}

/** ISO 8601 from the URL/API → a picker value showing Asia/Shanghai wall time. */
export function fromApiTime(iso: string | null | undefined): Dayjs | undefined {
  if (!iso) return undefined;
  const d = dayjs(iso);
  if (!d.isValid()) return undefined;
  return dayjs(d.tz(TZ).format('YYYY-MM-DDTHH:mm:ss'));
}

/** Decimal string "12.5" → "¥12.50" (no float arithmetic on the amount). */
export function formatMoney(amount: string | null | undefined): string {
  if (amount === null || amount === undefined || amount === '') return '—';
  const m = /^(-)?(\d+)(?:\.(\d*))?$/.exec(String(amount).trim());
  if (!m) return String(amount);
  const [, sign = '', int, frac = ''] = m;
  const cents = (frac + '00').slice(0, 2);
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${grouped}.${cents}`;
}

/** A random id for Idempotency-Key (crypto.randomUUID needs a secure context; fall back otherwise). */
export function newRequestId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') {
    try {
      return crypto.randomUUID();
    } catch {
      // not a secure context
    }
  }
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
