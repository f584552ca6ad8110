import { isRecord } from './classify';
import type { KeyExpiry } from './types';

const DAY_MS = 86_400_000;

/** How often a connection re-reads its key's expiry date. */
export const KEY_CHECK_INTERVAL_MS = 12 * 3_600_000;

type Call = (model: string, method: string, args: Record<string, unknown>) => Promise<unknown>;

/**
 * The soonest expiry date among the API keys of the user `uid` (`res.users.apikeys`, readable by the key's own
 * user on Odoo 19): Odoo does not say which key authenticated the call, so the soonest is the safe answer. Without a
 * uid every key the user can read counts (a non-admin sees only its own). Null: no key with an expiry date.
 */
export async function readKeyExpiry(call: Call, uid: number | undefined): Promise<number | null> {
  const rows = await call('res.users.apikeys', 'search_read', {
    domain: uid === undefined ? [] : [['user_id', '=', uid]],
    fields: ['expiration_date'],
  });
  let soonest: number | null = null;
  for (const row of Array.isArray(rows) ? (rows as unknown[]) : []) {
    const at = isRecord(row) ? parseOdooDatetime(row.expiration_date) : undefined;
    if (at !== undefined && (soonest === null || at < soonest)) soonest = at;
  }
  return soonest;
}

/** Odoo datetimes are UTC "YYYY-MM-DD HH:MM:SS"; `false` means none. */
export function parseOdooDatetime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(`${value.trim().replace(' ', 'T')}Z`);
  return Number.isFinite(at) ? at : undefined;
}

/** ok, expiring (within `warnDays`), expired, or none (no expiry date). */
export function keyExpiryOf(expiresAt: number | null, now: number, warnDays: number, key: 1 | 2): KeyExpiry {
  if (expiresAt === null) return { state: 'none', key };
  const daysLeft = Math.floor((expiresAt - now) / DAY_MS);
  const state = now >= expiresAt ? 'expired' : expiresAt - now <= warnDays * DAY_MS ? 'expiring' : 'ok';
  return { state, expiresAt, daysLeft, key };
}
