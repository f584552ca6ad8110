import { ValidationError } from '../errors';

/** A duration setting in seconds as milliseconds: blank is `defaultSeconds`, anything else must be a number > 0. */
export function secondsSettingMs(value: unknown, defaultSeconds: number, type: string, property: string): number {
  if (value === undefined || value === null || value === '') return defaultSeconds * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new ValidationError(`${type}: property ${property} must be a number of seconds > 0, got ${JSON.stringify(value)}`, { property });
  }
  return Math.round(seconds * 1000);
}
