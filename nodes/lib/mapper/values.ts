/**
 * Value conversions used by the transforms: strict, locale-aware where money is concerned, and always raising
 * a `FieldFailure` (caught per field by the mapper) instead of producing NaN or Invalid Date.
 */
export class FieldFailure extends Error {}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function expectString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new FieldFailure(`${what} expects a string, got ${describe(value)}`);
  return value;
}

export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FieldFailure(`expected a finite number, got ${describe(value)}`);
    return value;
  }
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    const n = Number(text);
    if (!Number.isFinite(n)) throw new FieldFailure(`expected a number, got ${describe(value)}`);
    return n;
  }
  throw new FieldFailure(`expected a number, got ${describe(value)}`);
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'off', '']);

export function toBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new FieldFailure(`expected a boolean (true/false, yes/no, 1/0), got ${describe(value)}`);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})(?![\d])/;
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Date.UTC reads years 0-99 as 1900-1999; this does not. */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const t = Date.UTC(y, mo, d, h, mi, s, ms);
  if (y >= 100) return t;
  const date = new Date(t);
  date.setUTCFullYear(y);
  return date.getTime();
}

function checkCalendar(y: number, m: number, d: number, original: unknown): void {
  if (d >= 1 && d <= 28 && m >= 1 && m <= 12) return;
  const t = new Date(utc(y, m - 1, d));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== m - 1 || t.getUTCDate() !== d) {
    throw new FieldFailure(`expected a valid calendar date, got ${describe(original)}`);
  }
}

/**
 * Instant from a string/number/Date. ISO-8601 and Odoo forms are parsed here (fast, and strict about the
 * calendar); other strings go to Date.parse. Strings without an offset (ISO `2026-01-15T10:00:00` or Odoo's
 * `2026-01-15 10:00:00`) are read as UTC, as Odoo stores them, never in the server's local zone.
 */
export function toInstant(value: unknown): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new FieldFailure('expected a valid date, got Invalid Date');
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FieldFailure(`expected a timestamp in ms, got ${describe(value)}`);
    return new Date(value);
  }
  if (typeof value !== 'string') throw new FieldFailure(`expected a date-time, got ${describe(value)}`);
  const text = value.trim();
  const iso = ISO_DATETIME.exec(text);
  if (iso) {
    const y = Number(iso[1]);
    const mo = Number(iso[2]);
    const d = Number(iso[3]);
    const h = Number(iso[4]);
    const mi = Number(iso[5]);
    const s = iso[6] ? Number(iso[6]) : 0;
    checkCalendar(y, mo, d, value);
    if (h > 23 || mi > 59 || s > 59) throw new FieldFailure(`expected a valid time of day, got ${describe(value)}`);
    const ms = iso[7] ? Number(iso[7].slice(0, 3).padEnd(3, '0')) : 0;
    let offsetMinutes = 0;
    const zone = iso[8];
    if (zone && zone.toUpperCase() !== 'Z') {
      const digits = zone.replace(':', '');
      offsetMinutes = (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
    }
    return new Date(utc(y, mo - 1, d, h, mi, s, ms) - offsetMinutes * 60_000);
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const [y, mo, d] = text.split('-').map(Number);
    checkCalendar(y, mo, d, value);
    return new Date(utc(y, mo - 1, d));
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new FieldFailure(`expected a date-time, got ${describe(value)}`);
  return new Date(parsed);
}

/** `YYYY-MM-DD`. A string that starts with a date keeps that date as written (a business date has no zone). */
export function toIsoDate(value: unknown): string {
  if (typeof value === 'string') {
    const m = DATE_PREFIX.exec(value.trim());
    if (m) {
      checkCalendar(Number(m[1]), Number(m[2]), Number(m[3]), value);
      return `${m[1]}-${m[2]}-${m[3]}`;
    }
  }
  const t = toInstant(value);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** ISO-8601 in UTC: `2026-01-15T10:20:30Z`, with milliseconds only when there are some. */
export function toIsoDatetime(value: unknown): string {
  const t = toInstant(value);
  const ms = t.getUTCMilliseconds();
  return ms === 0 ? `${utcSeconds(t, 'T')}Z` : `${utcSeconds(t, 'T')}.${String(ms).padStart(3, '0')}Z`;
}

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** `YYYY-MM-DD<sep>HH:MM:SS` in UTC; built by hand because toISOString is the slowest part of a date field. */
function utcSeconds(t: Date, separator: string): string {
  const year = t.getUTCFullYear();
  if (year < 1000 || year > 9999) return `${t.toISOString().slice(0, 10)}${separator}${t.toISOString().slice(11, 19)}`;
  return `${year}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}${separator}${two(t.getUTCHours())}:${two(t.getUTCMinutes())}:${two(t.getUTCSeconds())}`;
}

/** Odoo's datetime format: UTC `YYYY-MM-DD HH:MM:SS`, second precision. */
export function toOdooDatetime(value: unknown): string {
  return utcSeconds(toInstant(value), ' ');
}

const CURRENCY_DECIMALS: Record<string, number> = {
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0,
  XAF: 0, XOF: 0, XPF: 0,
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  CLF: 4, UYW: 4,
};

export function currencyDecimals(code: string): number {
  return CURRENCY_DECIMALS[code.toUpperCase()] ?? 2;
}

/** Half away from zero, on the decimal representation (so 1.005 rounds to 1.01, not 1.00). */
export function roundTo(n: number, decimals: number): number {
  const factor = POWERS[decimals] ?? 10 ** decimals;
  const scaled = n * factor;
  const nearest = Math.round(scaled);
  // Already at most `decimals` places (up to binary noise, e.g. 19.95 * 100 = 1994.9999999999998): no rounding.
  if (Math.abs(scaled - nearest) < 1e-7) return nearest / factor || 0;
  const sign = n < 0 ? -1 : 1;
  const rounded = Number(`${Math.round(Number(`${Math.abs(n)}e${decimals}`))}e-${decimals}`);
  return rounded === 0 ? 0 : sign * rounded;
}

const POWERS = [1, 10, 100, 1000, 10000, 100000, 1000000];

/**
 * Parses a formatted amount: "1.234,56", "1,234.56", "€ 1 234,56", "-12.5", "(12.00)". When only one kind of
 * separator appears once, it is the decimal separator unless exactly three digits follow it (then thousands);
 * `decimalSeparator` removes that guess.
 */
export function parseAmount(value: unknown, decimalSeparator?: '.' | ','): number | undefined {
  if (typeof value === 'number') return toNumber(value);
  if (typeof value !== 'string') throw new FieldFailure(`expected an amount, got ${describe(value)}`);
  // The common case, a plain "-12.50": no separator guessing needed (three decimals would be ambiguous).
  if (PLAIN_AMOUNT.test(value) && decimalSeparator !== ',') return Number(value);
  let text = value.trim();
  if (text === '') return undefined;
  let negative = false;
  if (/^\(.*\)$/.test(text)) {
    negative = true;
    text = text.slice(1, -1);
  }
  text = text.replace(/[\s\u00a0\u202f']/g, '').replace(/^[^\d+-]+|[^\d]+$/g, '');
  if (text.startsWith('-')) {
    negative = !negative;
    text = text.slice(1);
  } else if (text.startsWith('+')) {
    text = text.slice(1);
  }
  if (!/^\d[\d.,]*$/.test(text)) throw new FieldFailure(`expected an amount, got ${describe(value)}`);
  const decimal = decimalSeparator ?? guessDecimalSeparator(text);
  const thousands = decimal === '.' ? ',' : '.';
  const parts = text.split(thousands).join('').split(decimal);
  if (parts.length > 2 || parts.some((p) => p === '' || !/^\d+$/.test(p))) {
    throw new FieldFailure(`expected an amount, got ${describe(value)}`);
  }
  const n = Number(parts.join('.'));
  return negative ? -n : n;
}

const PLAIN_AMOUNT = /^-?\d+(?:\.(?:\d{1,2}|\d{4,}))?$/;

function guessDecimalSeparator(text: string): '.' | ',' {
  const lastDot = text.lastIndexOf('.');
  const lastComma = text.lastIndexOf(',');
  if (lastDot >= 0 && lastComma >= 0) return lastDot > lastComma ? '.' : ',';
  const sep = lastDot >= 0 ? '.' : ',';
  const count = text.split(sep).length - 1;
  if (count !== 1) return sep === '.' ? ',' : '.';
  const digitsAfter = text.length - text.indexOf(sep) - 1;
  if (digitsAfter === 3) return sep === '.' ? ',' : '.';
  return sep;
}
