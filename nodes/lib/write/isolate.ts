/**
 * Batch create that isolates bad records: a chunk rejected for a record-level reason is halved until each bad
 * record stands alone, so the good ones are still written and each bad one is reported with its index.
 * Errors that are not about a record (retryable, auth, access, unknown model...) fail the whole batch.
 */
import { MiddlewareError, toMiddlewareError } from '../errors';

export interface FailureInfo {
  message: string;
  code: string;
  kind: string;
  odooMessage?: string;
}

export interface RecordFailure {
  /** Position of the record in the input payload. */
  index: number;
  error: FailureInfo;
}

export interface IndexedVals {
  index: number;
  vals: Record<string, unknown>;
}

/** Kinds Odoo raises because of a record's values, worth isolating. */
const RECORD_LEVEL_KINDS: ReadonlySet<string> = new Set(['validation', 'user', 'missing', 'server']);

export function isRecordLevel(err: unknown): boolean {
  return err instanceof MiddlewareError && !err.retryable && RECORD_LEVEL_KINDS.has(err.kind);
}

export function failureInfo(err: unknown): FailureInfo {
  const e = toMiddlewareError(err);
  const info: FailureInfo = { message: e.message, code: e.code, kind: e.kind };
  const odooMessage = (e as { odooMessage?: unknown }).odooMessage;
  if (typeof odooMessage === 'string') info.odooMessage = odooMessage;
  return info;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface IsolatedResult {
  /** Created id per input record (by `index`), absent for failed ones. */
  ids: Map<number, number>;
  failures: RecordFailure[];
  calls: number;
}

/** `create(vals_list)` must return the ids in the order of `vals_list` (Odoo does). */
export async function createIsolated(
  create: (valsList: Array<Record<string, unknown>>) => Promise<number[]>,
  records: readonly IndexedVals[],
  chunkSize: number,
): Promise<IsolatedResult> {
  const result: IsolatedResult = { ids: new Map(), failures: [], calls: 0 };
  const attempt = async (group: readonly IndexedVals[]): Promise<void> => {
    result.calls += 1;
    try {
      const ids = await create(group.map((r) => r.vals));
      group.forEach((r, i) => {
        const id = ids[i];
        if (typeof id === 'number') result.ids.set(r.index, id);
      });
    } catch (err) {
      if (!isRecordLevel(err)) throw err;
      if (group.length === 1) {
        result.failures.push({ index: group[0].index, error: failureInfo(err) });
        return;
      }
      const half = Math.ceil(group.length / 2);
      await attempt(group.slice(0, half));
      await attempt(group.slice(half));
    }
  };
  for (const group of chunk(records, chunkSize)) await attempt(group);
  result.failures.sort((a, b) => a.index - b.index);
  return result;
}
