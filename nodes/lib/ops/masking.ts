/**
 * PII masking for what operators read: dead-letter views, trace spans, log lines, the audit log. Three kinds of
 * rule: a path (`payload.customer.email`), a field name anywhere (`email`, `vat`), and a value pattern found inside
 * any text (e-mail address, card number, IBAN). Masking works on copies; stored data and replays keep the original.
 */

export type MaskPattern = 'email' | 'card' | 'iban';

export interface MaskingSettings {
  /** Default true; false shows everything in clear text. */
  enabled?: boolean;
  /** Message paths whose value is masked whole, e.g. `payload.customer.email`. */
  paths?: string[];
  /** Field names masked wherever they occur (case-insensitive); replaces the default list when set. */
  fields?: string[];
  /** Value patterns masked inside any text; replaces the default list when set. */
  patterns?: MaskPattern[];
}

export const DEFAULT_MASKED_FIELDS: readonly string[] = ['email', 'email_from', 'phone', 'mobile', 'street', 'street2', 'vat', 'iban', 'acc_number'];
export const MASK_PATTERNS: readonly MaskPattern[] = ['email', 'card', 'iban'];
export const MASKED = '***';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// 15 to 19 digits, single spaces or dashes between groups; checked with Luhn so order numbers and epoch times pass.
// Not part of a longer token: the digits of a UUID (a dead letter's id) can pass Luhn too, and a masked id cannot be
// replayed.
const CARD = /(?<![\w-])\d(?:[ -]?\d){14,18}(?![\w-])/g;
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/g;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '');
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch >= 'A' && ch <= 'Z' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of code) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1;
}

export class Masker {
  readonly enabled: boolean;
  private readonly paths: Set<string>;
  private readonly fields: Set<string>;
  private readonly patterns: Set<MaskPattern>;

  constructor(settings: MaskingSettings = {}) {
    this.enabled = settings.enabled !== false;
    this.paths = new Set((settings.paths ?? []).map((p) => p.trim()).filter(Boolean));
    this.fields = new Set((settings.fields ?? DEFAULT_MASKED_FIELDS).map((f) => f.trim().toLowerCase()).filter(Boolean));
    this.patterns = new Set((settings.patterns ?? MASK_PATTERNS).filter((p) => MASK_PATTERNS.includes(p)));
  }

  /** The text with every e-mail address, card number and IBAN replaced by `[email]`, `[card]`, `[iban]`. */
  maskText(text: string): string {
    if (!this.enabled) return text;
    let out = text;
    if (this.patterns.has('email')) out = out.replace(EMAIL, '[email]');
    if (this.patterns.has('iban')) out = out.replace(IBAN, (m) => (ibanValid(m) ? '[iban]' : m));
    if (this.patterns.has('card')) out = out.replace(CARD, (m) => (luhn(m.replace(/[ -]/g, '')) ? '[card]' : m));
    return out;
  }

  /** A masked deep copy of `value`; `at` is the path of `value` itself (`''` for a message). */
  maskValue<T>(value: T, at = ''): T {
    if (!this.enabled) return value;
    return this.walk(value, at, new WeakSet<object>()) as T;
  }

  private walk(value: unknown, at: string, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.maskText(value);
    if (value === null || typeof value !== 'object') return value;
    if (seen.has(value)) return value;
    seen.add(value);
    if (Array.isArray(value)) return value.map((item, i) => this.walk(item, `${at}[${i}]`, seen));
    if (Buffer.isBuffer(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const path = at ? `${at}.${key}` : key;
      out[key] = this.masksWhole(key, path, item) ? MASKED : this.walk(item, path, seen);
    }
    return out;
  }

  private masksWhole(key: string, path: string, item: unknown): boolean {
    if (item === null || item === undefined || item === false || item === '') return false;
    return this.paths.has(path.replace(/\[\d+\]/g, '')) || this.paths.has(path) || this.fields.has(key.toLowerCase());
  }
}

/** The masker of the settings file's `odooMiddleware.masking` (`false` turns masking off). */
export function maskerFrom(settings: MaskingSettings | boolean | undefined): Masker {
  if (settings === false) return new Masker({ enabled: false });
  return new Masker(typeof settings === 'object' && settings !== null ? settings : {});
}
