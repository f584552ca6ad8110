/** Dead-letter operations behind the admin endpoints, over every distinct store the retry nodes use. */
import { ValidationError } from '../errors';
import type { DeadLetter, DeadLetterFilter, DeadLetterStatus, MiddlewareStore } from '../store/types';
import type { DeadLetterRegistry } from './registry';

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
const STATUSES: ReadonlySet<string> = new Set(['dead', 'replayed', 'discarded']);
/** Kinds counted for the sidebar; letters of any other kind are summed under "other". */
export const COUNTED_KINDS: readonly string[] = [
  'validation', 'access', 'auth', 'missing', 'not_found', 'user', 'mapping', 'lease_lost',
  'concurrency', 'rate_limited', 'unavailable', 'timeout', 'network', 'protocol', 'server', 'circuit_open', 'paused',
  'store_unavailable', 'internal', 'http', 'unknown',
];

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

function parseTime(query: Record<string, unknown>, name: string): number | undefined {
  const s = single(query, name);
  if (s === undefined) return undefined;
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new ValidationError(`query ${name} must be epoch milliseconds or an ISO date, got "${s}"`, { property: name });
  return t;
}

function parseCount(query: Record<string, unknown>, name: string, min: number, max: number, fallback: number): number {
  const s = single(query, name);
  if (s === undefined) return fallback;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(`query ${name} must be an integer from ${min} to ${max}, got "${s}"`, { property: name });
  }
  return n;
}

/** Reads `?flow=&kind=&since=&until=&correlationId=&status=&limit=&offset=`. */
export function parseListQuery(query: Record<string, unknown>): DeadLetterFilter {
  const status = single(query, 'status');
  if (status !== undefined && !STATUSES.has(status)) {
    throw new ValidationError(`query status must be one of dead, replayed, discarded, got "${status}"`, { property: 'status' });
  }
  const filter: DeadLetterFilter = {
    limit: parseCount(query, 'limit', 1, MAX_LIST_LIMIT, DEFAULT_LIST_LIMIT),
    offset: parseCount(query, 'offset', 0, Number.MAX_SAFE_INTEGER, 0),
  };
  const flowId = single(query, 'flow');
  const errorKind = single(query, 'kind');
  const correlationId = single(query, 'correlationId');
  const nodeId = single(query, 'node');
  const since = parseTime(query, 'since');
  const until = parseTime(query, 'until');
  if (flowId !== undefined) filter.flowId = flowId;
  if (errorKind !== undefined) filter.errorKind = errorKind;
  if (correlationId !== undefined) filter.correlationId = correlationId;
  if (nodeId !== undefined) filter.nodeId = nodeId;
  if (status !== undefined) filter.status = status as DeadLetterStatus;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  return filter;
}

/** A list row: everything but the stored message. */
export interface LetterSummary {
  id: string;
  status: DeadLetterStatus;
  errorKind?: string;
  errorCode?: unknown;
  errorMessage?: unknown;
  reason?: unknown;
  attempts: number;
  flowId?: string;
  nodeId: string;
  correlationId?: string;
  droppedPaths: string[];
  createdAt: number;
  updatedAt: number;
}

export function summarise(letter: DeadLetter): LetterSummary {
  const s: LetterSummary = {
    id: letter.id,
    status: letter.status,
    errorKind: letter.errorKind,
    errorCode: letter.error.code,
    errorMessage: letter.error.message,
    reason: letter.error.reason,
    attempts: letter.history.length,
    nodeId: letter.nodeId,
    droppedPaths: letter.droppedPaths,
    createdAt: letter.createdAt,
    updatedAt: letter.updatedAt,
  };
  if (letter.flowId !== undefined) s.flowId = letter.flowId;
  if (letter.correlationId !== undefined) s.correlationId = letter.correlationId;
  return s;
}

export interface LetterList {
  total: number;
  items: LetterSummary[];
  /** Per error kind, under the same filter except the kind itself. */
  countsByKind: Record<string, number>;
  stores: number;
}

export async function listLetters(registry: DeadLetterRegistry, filter: DeadLetterFilter): Promise<LetterList> {
  const stores = registry.stores();
  const limit = filter.limit ?? DEFAULT_LIST_LIMIT;
  const offset = filter.offset ?? 0;
  // Each store returns its first offset+limit rows; the merged page is cut from their union, newest first.
  const pages = await Promise.all(stores.map((s) => s.listDeadLetters({ ...filter, limit: offset + limit, offset: 0 })));
  const total = pages.reduce((sum, p) => sum + p.total, 0);
  const items = pages
    .flatMap((p) => p.items)
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1))
    .slice(offset, offset + limit)
    .map(summarise);
  const countsByKind = await countByKind(stores, filter);
  return { total, items, countsByKind, stores: stores.length };
}

async function countByKind(stores: MiddlewareStore[], filter: DeadLetterFilter): Promise<Record<string, number>> {
  const base: DeadLetterFilter = { ...filter };
  delete base.errorKind;
  delete base.limit;
  delete base.offset;
  const counts: Record<string, number> = {};
  let all = 0;
  let counted = 0;
  for (const store of stores) {
    all += await store.countDeadLetters(base);
    for (const kind of COUNTED_KINDS) {
      const n = await store.countDeadLetters({ ...base, errorKind: kind });
      if (n > 0) counts[kind] = (counts[kind] ?? 0) + n;
      counted += n;
    }
  }
  if (all > counted) counts.other = all - counted;
  return counts;
}

export async function findLetter(registry: DeadLetterRegistry, id: string): Promise<{ letter: DeadLetter; store: MiddlewareStore } | undefined> {
  for (const store of registry.stores()) {
    const letter = await store.getDeadLetter(id);
    if (letter) return { letter, store };
  }
  return undefined;
}

export interface ActionConflict {
  id: string;
  reason: 'node_missing' | 'not_dead' | 'already_queued';
  message: string;
}

export interface ReplayResult {
  queued: string[];
  notFound: string[];
  conflicts: ActionConflict[];
}

export function parseIds(body: unknown): string[] {
  const ids = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).ids : undefined;
  if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && id !== '')) {
    throw new ValidationError('body.ids must be a non-empty array of dead-letter ids (strings)', { property: 'ids' });
  }
  if (ids.length > MAX_LIST_LIMIT) throw new ValidationError(`body.ids may hold at most ${MAX_LIST_LIMIT} ids, got ${ids.length}`, { property: 'ids' });
  return [...new Set(ids as string[])];
}

export async function replayLetters(registry: DeadLetterRegistry, ids: string[]): Promise<ReplayResult> {
  const result: ReplayResult = { queued: [], notFound: [], conflicts: [] };
  for (const id of ids) {
    const found = await findLetter(registry, id);
    if (!found) {
      result.notFound.push(id);
      continue;
    }
    const { letter, store } = found;
    if (letter.status !== 'dead') {
      result.conflicts.push({ id, reason: 'not_dead', message: `dead letter ${id} is ${letter.status}; only letters with status dead can be replayed` });
      continue;
    }
    const target = registry.get(letter.nodeId);
    if (!target) {
      result.conflicts.push({
        id,
        reason: 'node_missing',
        message: `the retry node ${letter.nodeId} that parked dead letter ${id} no longer exists; deploy it again or discard the letter`,
      });
      continue;
    }
    if (target.enqueueReplay(letter, store)) result.queued.push(id);
    else result.conflicts.push({ id, reason: 'already_queued', message: `dead letter ${id} is already queued for replay` });
  }
  return result;
}

export interface DiscardResult {
  discarded: string[];
  notFound: string[];
}

export async function discardLetters(registry: DeadLetterRegistry, ids: string[], now: number): Promise<DiscardResult> {
  const result: DiscardResult = { discarded: [], notFound: [] };
  for (const id of ids) {
    const found = await findLetter(registry, id);
    if (found && (await found.store.setDeadLetterStatus(id, 'discarded', now))) result.discarded.push(id);
    else result.notFound.push(id);
  }
  return result;
}

export function parseOlderThanDays(body: unknown): number {
  const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).olderThanDays : undefined;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
    throw new ValidationError(`body.olderThanDays must be a number >= 0, got ${JSON.stringify(raw)}`, { property: 'olderThanDays' });
  }
  return n;
}

export async function purgeLetters(registry: DeadLetterRegistry, olderThanDays: number, now: number): Promise<{ purged: number }> {
  const olderThan = now - olderThanDays * 86_400_000;
  let purged = 0;
  for (const store of registry.stores()) purged += await store.purgeDeadLetters(olderThan);
  return { purged };
}
