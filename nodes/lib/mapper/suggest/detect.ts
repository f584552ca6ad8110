/**
 * What a sample value looks like: a date, an instant, a Unix time, an e-mail, an ISO country or currency code,
 * an amount written as text... Judged from the value alone, deterministically, with the ISO lists of the
 * JavaScript runtime (Intl).
 */
export type ValueKind =
  | 'datetime'
  | 'date'
  | 'epoch-seconds'
  | 'epoch-ms'
  | 'email'
  | 'country'
  | 'currency'
  | 'url'
  | 'numeric-text'
  | 'integer'
  | 'number'
  | 'boolean'
  | 'text'
  | 'empty'
  | 'object'
  | 'array';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const REGIONS = new Intl.DisplayNames(['en'], { type: 'region' });

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NUMERIC = /^[+-]?(\d+|\d{1,3}([.,\s]\d{3})+)([.,]\d+)?$/;
/** 2001-09-09 .. 2286-11-20 in seconds, or the same span in milliseconds. */
const EPOCH_S = [1e9, 1e10];
const EPOCH_MS = [1e12, 1e13];

export function isCountryCode(text: string): boolean {
  if (!/^[A-Za-z]{2}$/.test(text)) return false;
  const name = REGIONS.of(text.toUpperCase());
  return name !== undefined && name !== text.toUpperCase() && name !== 'Unknown Region';
}

export function isCurrencyCode(text: string): boolean {
  return /^[A-Za-z]{3}$/.test(text) && CURRENCIES.has(text.toUpperCase());
}

/** `hint` is the field's words: a number is only a Unix time when its name speaks of a date. */
export function detectKind(value: unknown, hint: readonly string[] = []): ValueKind {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'number') {
    const datey = hint.includes('date') || hint.includes('created') || hint.includes('updated');
    if (datey && Number.isInteger(value) && value >= EPOCH_S[0] && value < EPOCH_S[1]) return 'epoch-seconds';
    if (datey && Number.isInteger(value) && value >= EPOCH_MS[0] && value < EPOCH_MS[1]) return 'epoch-ms';
    return Number.isInteger(value) ? 'integer' : 'number';
  }
  if (typeof value !== 'string') return 'text';
  const text = value.trim();
  if (text === '') return 'empty';
  if (ISO_DATE.test(text)) return 'date';
  if (ISO_DATETIME.test(text)) return 'datetime';
  if (EMAIL.test(text)) return 'email';
  if (/^https?:\/\//i.test(text)) return 'url';
  if (NUMERIC.test(text)) return 'numeric-text';
  // A lower-case code counts only where the name says so: `all` is a currency (Albanian lek), `no` a country.
  const upper = text === text.toUpperCase();
  if (isCurrencyCode(text) && (upper || hint.includes('currency'))) return 'currency';
  if (isCountryCode(text) && (upper || hint.includes('country'))) return 'country';
  // RFC 2822 and other dates Date.parse reads, with a time of day (a plain word never has one).
  if (/\d{1,2}:\d{2}/.test(text) && /\d{4}/.test(text) && !Number.isNaN(Date.parse(text))) return 'datetime';
  return 'text';
}
