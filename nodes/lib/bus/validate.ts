/** Names and settings of the bus, checked before anything reaches a backend. */
import { ValidationError } from '../errors';

/** Topic and group names become stream keys and queue names: a portable character set, bounded length. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function checkName(value: unknown, property: 'topic' | 'group'): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new ValidationError(
      `${property} must be 1-100 characters of letters, digits, '.', '_', ':' or '-', starting with a letter or digit; got ${JSON.stringify(value)}`,
      { property },
    );
  }
  return value;
}

/** An event key: a non-empty string or a finite number (taken as its decimal string); undefined for none. */
export function checkKey(value: unknown, property = 'key'): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.length <= 500) return value;
  throw new ValidationError(`${property} must be a string (at most 500 characters) or a number, got ${typeof value === 'string' ? 'a longer string' : typeof value}`, { property });
}

export function integerSetting(value: unknown, fallback: number, min: number, max: number, property: string): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(`${property} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`, { property });
  }
  return n;
}
