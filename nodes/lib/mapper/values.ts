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

/** Throws the failure of a string transform (`trim`, `upper`, `split`...) given something else. */
export function notString(value: unknown, what: string): never {
  throw new FieldFailure(`${what} expects a string, got ${describe(value)}`);
}

export function notArray(value: unknown): never {
  throw new FieldFailure(`map expects an array, got ${describe(value)}`);
}

/** The `string` transform: texts stay, numbers and booleans become texts, anything else fails. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new FieldFailure(`string expects a text, number or boolean, got ${describe(value)}`);
}

export function toInteger(value: unknown): number | undefined {
  const n = toNumber(value);
  if (n !== undefined && !Number.isInteger(n)) throw new FieldFailure(`expected an integer, got ${describe(value)}`);
  return n;
}

export function noLookupEntry(value: unknown, table: ReadonlyMap<string, unknown>): never {
  throw new FieldFailure(`no lookup entry for ${describe(value)} (known: ${[...table.keys()].slice(0, 10).join(', ')})`);
}

/** The `concat` transform: the non-empty parts as text (objects as JSON), or nothing when all are empty. */
export function joinParts(parts: unknown[], separator: string): string | undefined {
  let joined: string | undefined;
  for (const p of parts) {
    if (p === undefined || p === null || p === '') continue;
    const text = typeof p === 'object' ? JSON.stringify(p) : String(p);
    joined = joined === undefined ? text : joined + separator + text;
  }
  return joined;
}

/** The `split` transform: trimmed, non-empty parts. */
export function splitParts(text: string, separator: string): string[] {
  return text
    .split(separator)
    .map((part) => part.trim())
    .filter((part) => part !== '');
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

const DAY_MS = 86_400_000;
const MAX_EPOCH_MS = 8.64e15;

/** Days since 1970-01-01 of a proleptic Gregorian date, any year (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const year = m <= 2 ? y - 1 : y;
  const era = Math.floor(year / 400);
  const yoe = year - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function checkCalendar(y: number, m: number, d: number, original: unknown): void {
  const days = m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1];
  if (days === undefined || d < 1 || d > days) throw new FieldFailure(`expected a valid calendar date, got ${describe(original)}`);
}

/** Digits of `text` from `at` to `at + count` as a number, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const c = text.charCodeAt(i) - 48;
    // NaN past the end of the text fails this too.
    if (!(c >= 0 && c <= 9)) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Epoch ms of `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]][Z|±HH:MM|±HHMM]`, or undefined when the text has another
 * shape. Read char by char: this is the date format of most payloads, so it sits on the mapping's hot path.
 */
function parseIsoDatetime(text: string, original: unknown): number | undefined {
  const len = text.length;
  if (len < 16 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58) return undefined;
  const sep = text.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return undefined;
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0) return undefined;
  let at = 16;
  let s = 0;
  let ms = 0;
  if (text.charCodeAt(at) === 58) {
    s = digits(text, at + 1, 2);
    if (s < 0) return undefined;
    at += 3;
    if (text.charCodeAt(at) === 46) {
      const from = ++at;
      while (at < len && at - from < 9 && digits(text, at, 1) >= 0) at++;
      if (at === from || (at < len && digits(text, at, 1) >= 0)) return undefined;
      ms = digits(`${text.slice(from, Math.min(at, from + 3))}00`, 0, 3);
    }
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(at);
  const isZulu = (zone === 90 || zone === 122) && at + 1 === len;
  if (at < len && !isZulu) {
    if (zone !== 43 && zone !== 45) return undefined;
    const colon = text.charCodeAt(at + 3) === 58 ? 1 : 0;
    if (len !== at + 5 + colon) return undefined;
    const oh = digits(text, at + 1, 2);
    const om = digits(text, at + 3 + colon, 2);
    if (oh < 0 || om < 0) return undefined;
    offsetMinutes = (zone === 45 ? -1 : 1) * (oh * 60 + om);
  }
  checkCalendar(y, mo, d, original);
  if (h > 23 || mi > 59 || s > 59) throw new FieldFailure(`expected a valid time of day, got ${describe(original)}`);
  return daysFromCivil(y, mo, d) * DAY_MS + ((h * 60 + mi - offsetMinutes) * 60 + s) * 1000 + ms;
}

/**
 * Epoch ms from a string/number/Date. ISO-8601 and Odoo forms are parsed here (fast, and strict about the
 * calendar); other strings go to Date.parse. Strings without an offset (ISO `2026-01-15T10:00:00` or Odoo's
 * `2026-01-15 10:00:00`) are read as UTC, as Odoo stores them, never in the server's local zone.
 */
function toEpochMs(value: unknown): number {
  if (value instanceof Date) {
    const t = value.getTime();
    if (Number.isNaN(t)) throw new FieldFailure('expected a valid date, got Invalid Date');
    return t;
  }
  if (typeof value === 'number') {
    // The range a Date can hold; fractions of a millisecond are dropped, as Date does.
    if (!(Math.abs(value) <= MAX_EPOCH_MS)) throw new FieldFailure(`expected a timestamp in ms, got ${describe(value)}`);
    return Math.trunc(value);
  }
  if (typeof value !== 'string') throw new FieldFailure(`expected a date-time, got ${describe(value)}`);
  const text = value.trim();
  const iso = parseIsoDatetime(text, value);
  if (iso !== undefined) return iso;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (date) {
    const [y, mo, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    checkCalendar(y, mo, d, value);
    return daysFromCivil(y, mo, d) * DAY_MS;
  }
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new FieldFailure(`expected a date-time, got ${describe(value)}`);
  return parsed;
}

/** `00`..`99`: formatting a date-time looks its two-digit parts up instead of converting numbers. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => (n < 10 ? `0${n}` : `${n}`));

/** `YYYY-MM-DD` of an epoch day (H. Hinnant's civil_from_days); years outside 0..9999 as toISOString writes them. */
function civilDate(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  if (y < 0 || y > 9999) return new Date(day * DAY_MS).toISOString().slice(0, -14);
  return TWO_DIGITS[Math.floor(y / 100)] + TWO_DIGITS[y % 100] + '-' + TWO_DIGITS[m] + '-' + TWO_DIGITS[d];
}

/** `YYYY-MM-DD<separator>HH:MM:SS` in UTC. */
function utcSeconds(ms: number, separator: string): string {
  const day = Math.floor(ms / DAY_MS);
  const secs = Math.floor((ms - day * DAY_MS) / 1000);
  return civilDate(day) + separator + TWO_DIGITS[Math.floor(secs / 3600)] + ':' + TWO_DIGITS[Math.floor(secs / 60) % 60] + ':' + TWO_DIGITS[secs % 60];
}

/** `YYYY-MM-DD`. A string that starts with a date keeps that date as written (a business date has no zone). */
export function toIsoDate(value: unknown): string {
  if (typeof value === 'string') {
    const m = /^(\d{4})-(\d{2})-(\d{2})(?![\d])/.exec(value.trim());
    if (m) {
      checkCalendar(Number(m[1]), Number(m[2]), Number(m[3]), value);
      return `${m[1]}-${m[2]}-${m[3]}`;
    }
  }
  return civilDate(Math.floor(toEpochMs(value) / DAY_MS));
}

/** ISO-8601 in UTC: `2026-01-15T10:20:30Z`, with milliseconds only when there are some. */
export function toIsoDatetime(value: unknown): string {
  const t = toEpochMs(value);
  const ms = t - Math.floor(t / 1000) * 1000;
  return ms === 0 ? `${utcSeconds(t, 'T')}Z` : `${utcSeconds(t, 'T')}.${String(ms).padStart(3, '0')}Z`;
}

/** Odoo's datetime format: UTC `YYYY-MM-DD HH:MM:SS`, second precision. */
export function toOdooDatetime(value: unknown): string {
  return utcSeconds(toEpochMs(value), ' ');
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
  if (decimalSeparator !== ',') {
    const plain = plainAmount(value);
    if (!Number.isNaN(plain)) return plain;
  }
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

/**
 * `-12.50`: optional minus, digits, and a decimal point followed by anything but exactly three digits (which would
 * be ambiguous); NaN for any other text. Up to 15 digits the value is digits / 10^decimals, one correctly rounded
 * division, so exactly what Number() gives; longer texts go to Number().
 */
function plainAmount(text: string): number {
  const len = text.length;
  const negative = text.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  const first = i;
  let mantissa = 0;
  let dot = -1;
  for (; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) mantissa = mantissa * 10 + (c - 48);
    else if (c === 46 && dot < 0 && i > first) dot = i;
    else return NaN;
  }
  if (i === first) return NaN;
  const decimals = dot < 0 ? 0 : len - dot - 1;
  if (dot >= 0 && (decimals === 0 || decimals === 3)) return NaN;
  if (len - first - (dot < 0 ? 0 : 1) > 15) return Number(text);
  const n = decimals === 0 ? mantissa : mantissa / 10 ** decimals;
  return negative ? -n : n;
}

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
