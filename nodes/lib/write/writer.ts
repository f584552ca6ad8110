/**
 * The write engine behind odoo-write: create (chunked, isolating bad records), write, unlink, upsert by
 * external ID or natural key, and any public method. Inputs are validated before the first call.
 */
import { ValidationError } from '../errors';
import type { CallOptions, OdooClient } from '../odoo/types';
import { describe, isPlainObject, parseIds } from '../read/validate';
import { callWithPrecondition, type Domain } from './precondition';
import { chunk, createIsolated, failureInfo, isRecordLevel, type IndexedVals, type RecordFailure } from './isolate';
import { existingFromLookup, keyRecords, lookupRequest, planUpsert, valsForUpdate, type ExternalId, type KeyedRecord, type UpsertKey } from './upsert';

export type WriteOperation = 'create' | 'write' | 'unlink' | 'upsert' | 'call';
export const WRITE_OPERATIONS: readonly WriteOperation[] = ['create', 'write', 'unlink', 'upsert', 'call'];
export const DEFAULT_CHUNK_SIZE = 100;

export interface WriteRequest {
  model: string;
  operation: WriteOperation;
  payload: unknown;
  /** Target ids for write, unlink and call. */
  ids?: number[];
  /** Method name for operation "call". */
  method?: string;
  /** Operation "call" only: the records that still need the call; the others are skipped (see precondition.ts). */
  precondition?: Domain;
  chunkSize: number;
  /** Required for upsert; optional "reconcile key" for create. */
  key?: UpsertKey;
  /** The previous attempt may have committed (msg.retry.outcomeUnknown): look records up by key before creating. */
  reconcile: boolean;
  /** Post a chatter note naming the correlation id on the records written. */
  postCorrelationId?: string;
}

export interface FailedRecord extends RecordFailure {
  vals: unknown;
}

export interface WriteOutcome {
  method: string;
  /** Record id per input record, in input order; null where the record failed. */
  ids: Array<number | null>;
  created: number;
  updated: number;
  /** Records found by key after an unknown outcome instead of being created again. */
  reconciled: number;
  failed: FailedRecord[];
  /** What Odoo returned, for unlink and call. */
  result?: unknown;
  /** Call with a precondition: records left out because they were already done. */
  skipped?: number[];
  /** True when the payload was one object (not a list). */
  single: boolean;
  chatter?: { posted: number; failed: number };
}

type Caller = Pick<OdooClient, 'call'>;

export function validateMethod(method: unknown): string {
  if (typeof method !== 'string' || !/^[a-zA-Z][a-zA-Z0-9_]*$/.test(method.trim())) {
    throw new ValidationError(`method must be the name of a public Odoo method such as "action_confirm" (not starting with "_"); got ${describe(method)}`, { property: 'method' });
  }
  return method.trim();
}

/** Payload of create/upsert: one object or a list of objects. */
export function valsList(payload: unknown, property = 'msg.payload'): { records: IndexedVals[]; single: boolean } {
  if (isPlainObject(payload)) return { records: [{ index: 0, vals: payload }], single: true };
  if (!Array.isArray(payload)) {
    throw new ValidationError(`${property} must be an object of field values or an array of them; got ${describe(payload)}`, { property });
  }
  if (payload.length === 0) throw new ValidationError(`${property} is an empty array: nothing to write`, { property });
  payload.forEach((vals, i) => {
    if (!isPlainObject(vals)) throw new ValidationError(`${property}[${i}] must be an object of field values; got ${describe(vals)}`, { property, index: i });
  });
  return { records: payload.map((vals, index) => ({ index, vals: vals as Record<string, unknown> })), single: false };
}

export async function runWrite(client: Caller, req: WriteRequest, options: CallOptions): Promise<WriteOutcome> {
  const call = <T>(model: string, method: string, args: Record<string, unknown>): Promise<T> => client.call<T>(model, method, args, options);
  let outcome: WriteOutcome;
  switch (req.operation) {
    case 'create':
    case 'upsert':
      outcome = await createOrUpsert(call, req);
      break;
    case 'write':
      outcome = await writeRecords(call, req);
      break;
    case 'unlink': {
      const ids = requireIds(req.ids);
      const result = await call<unknown>(req.model, 'unlink', { ids });
      return { method: 'unlink', ids, created: 0, updated: 0, reconciled: 0, failed: [], result, single: false };
    }
    case 'call': {
      const method = validateMethod(req.method);
      const args: Record<string, unknown> = isPlainObject(req.payload) ? { ...req.payload } : {};
      if (req.precondition !== undefined) {
        const ids = requireIds(req.ids);
        const guarded = await callWithPrecondition(client, { model: req.model, method, ids, args, domain: req.precondition }, options);
        // Every id stays in the report: afterwards all are in the state the action leads to, ready for the next step.
        return { method, ids, created: 0, updated: 0, reconciled: 0, failed: [], result: guarded.result, skipped: guarded.skipped, single: false };
      }
      if (req.ids !== undefined && req.ids.length > 0) args.ids = req.ids;
      const result = await call<unknown>(req.model, method, args);
      return { method, ids: req.ids ?? [], created: 0, updated: 0, reconciled: 0, failed: [], result, single: false };
    }
  }
  if (req.postCorrelationId !== undefined) {
    const written = outcome.ids.filter((id): id is number => id !== null);
    outcome.chatter = await postCorrelation(call, req.model, written, req.postCorrelationId);
  }
  return outcome;
}

function requireIds(ids: number[] | undefined): number[] {
  if (ids === undefined || ids.length === 0) throw new ValidationError('ids must hold at least one record id (configure "ids", default msg.odoo.ids)', { property: 'ids' });
  return ids;
}

type Call = <T>(model: string, method: string, args: Record<string, unknown>) => Promise<T>;

async function createOrUpsert(call: Call, req: WriteRequest): Promise<WriteOutcome> {
  const { records, single } = valsList(req.payload);
  if (req.operation === 'upsert' && req.key === undefined) throw new ValidationError('upsert needs a key: an external ID field or a natural key field', { property: 'key' });
  const keyed = req.key ? keyRecords(records, req.key) : undefined;
  const ids = new Map<number, number>();
  const failures: RecordFailure[] = [];
  let created = 0;
  let updated = 0;
  let reconciled = 0;
  const create = async (valsList: Array<Record<string, unknown>>): Promise<number[]> => {
    const result = await call<number[] | number>(req.model, 'create', { vals_list: valsList });
    return Array.isArray(result) ? result : [result];
  };

  if (single) {
    // One object: any error is the message's error, so it reaches a Catch node (and the retry node).
    const only = keyed?.[0];
    const existing = only && req.key && (req.operation === 'upsert' || req.reconcile) ? await lookup(call, req.model, req.key, [only]) : new Map<string, number>();
    const foundId = only ? existing.get(only.key) : undefined;
    if (foundId !== undefined && req.operation === 'upsert') {
      await call(req.model, 'write', { ids: [foundId], vals: valsForUpdate(only?.vals ?? {}) });
      updated = 1;
      ids.set(0, foundId);
    } else if (foundId !== undefined) {
      reconciled = 1;
      ids.set(0, foundId);
    } else {
      const [id] = await create([only ? only.vals : records[0].vals]);
      ids.set(0, id);
      created = 1;
      if (only && req.key?.kind === 'xmlid') await registerExternalIds(call, req.model, [{ record: only, id }]);
    }
  } else if (keyed === undefined) {
    const result = await createIsolated(create, records, req.chunkSize);
    result.ids.forEach((id, index) => ids.set(index, id));
    failures.push(...result.failures);
    created = result.ids.size;
  } else {
    const key = req.key as UpsertKey;
    for (const group of chunk(keyed, req.chunkSize)) {
      const lookUp = req.operation === 'upsert' || req.reconcile;
      const plan = planUpsert(group, lookUp ? await lookup(call, req.model, key, group) : new Map());
      const result = await createIsolated(create, plan.create, req.chunkSize);
      failures.push(...result.failures);
      const createdNow: Array<{ record: KeyedRecord; id: number }> = [];
      for (const record of plan.create) {
        const id = result.ids.get(record.index);
        if (id !== undefined) {
          ids.set(record.index, id);
          createdNow.push({ record, id });
        }
      }
      created += createdNow.length;
      if (key.kind === 'xmlid') await registerExternalIds(call, req.model, createdNow);
      const writes: Array<{ index: number; id: number; vals: Record<string, unknown> }> = [];
      for (const record of plan.write) {
        if (req.operation === 'upsert') writes.push({ ...record, vals: valsForUpdate(record.vals) });
        else {
          ids.set(record.index, record.id);
          reconciled += 1;
        }
      }
      for (const follower of plan.followers) {
        const leaderId = ids.get(follower.leaderIndex);
        if (leaderId === undefined) {
          failures.push({ index: follower.index, error: { message: `Not written: the record at index ${follower.leaderIndex} with the same key failed`, code: 'MW_VALIDATION', kind: 'validation' } });
        } else if (req.operation === 'upsert') {
          writes.push({ index: follower.index, id: leaderId, vals: valsForUpdate(follower.vals) });
        } else {
          ids.set(follower.index, leaderId);
          reconciled += 1;
        }
      }
      const writeResult = await writeEach(call, req.model, writes);
      writeResult.written.forEach((index) => ids.set(index, writes.find((w) => w.index === index)?.id as number));
      updated += writeResult.written.length;
      failures.push(...writeResult.failures);
    }
  }
  return finish(req.operation, records, ids, failures, { created, updated, reconciled, single });
}

async function writeRecords(call: Call, req: WriteRequest): Promise<WriteOutcome> {
  if (isPlainObject(req.payload)) {
    const ids = requireIds(req.ids);
    await call(req.model, 'write', { ids, vals: req.payload });
    return { method: 'write', ids, created: 0, updated: ids.length, reconciled: 0, failed: [], single: true };
  }
  if (!Array.isArray(req.payload)) {
    throw new ValidationError(`msg.payload must be an object of field values (written to "ids") or an array of objects each with an integer "id"; got ${describe(req.payload)}`, { property: 'msg.payload' });
  }
  const records = valsList(req.payload).records.map(({ index, vals }) => {
    const [id] = parseIds(vals.id, `msg.payload[${index}].id`);
    const rest = { ...vals };
    delete rest.id;
    return { index, id, vals: rest };
  });
  const ids = new Map<number, number>();
  const failures: RecordFailure[] = [];
  for (const group of chunk(records, req.chunkSize)) {
    const result = await writeEach(call, req.model, group);
    result.written.forEach((index) => ids.set(index, group.find((r) => r.index === index)?.id as number));
    failures.push(...result.failures);
  }
  // Failed records are reported with the values as received, id included.
  const received = (req.payload as Array<Record<string, unknown>>).map((vals, index) => ({ index, vals }));
  return finish('write', received, ids, failures, {
    created: 0,
    updated: ids.size,
    reconciled: 0,
    single: false,
  });
}

/** One write per record (values differ per record), in parallel up to the connection's concurrency. */
async function writeEach(
  call: Call,
  model: string,
  writes: ReadonlyArray<{ index: number; id: number; vals: Record<string, unknown> }>,
): Promise<{ written: number[]; failures: RecordFailure[] }> {
  const written: number[] = [];
  const failures: RecordFailure[] = [];
  await Promise.all(
    writes.map(async (w) => {
      try {
        await call(model, 'write', { ids: [w.id], vals: w.vals });
        written.push(w.index);
      } catch (err) {
        if (!isRecordLevel(err)) throw err;
        failures.push({ index: w.index, error: failureInfo(err) });
      }
    }),
  );
  return { written, failures };
}

async function lookup(call: Call, model: string, key: UpsertKey, records: readonly KeyedRecord[]): Promise<Map<string, number>> {
  const request = lookupRequest(model, key, records);
  // Archived records still hold their key: finding them avoids creating a duplicate.
  const rows = await call<Array<Record<string, unknown>>>(request.model, 'search_read', { ...request.args, context: { active_test: false } });
  return existingFromLookup(key, rows);
}

async function registerExternalIds(call: Call, model: string, created: ReadonlyArray<{ record: KeyedRecord; id: number }>): Promise<void> {
  if (created.length === 0) return;
  const valsList = created.map(({ record, id }) => {
    const xmlid = record.keyValue as ExternalId;
    return { module: xmlid.module, name: xmlid.name, model, res_id: id };
  });
  await call('ir.model.data', 'create', { vals_list: valsList });
}

async function postCorrelation(call: Call, model: string, ids: readonly number[], correlationId: string): Promise<{ posted: number; failed: number }> {
  const body = `Written by Node-RED odoo-write, correlation id ${correlationId}`;
  let posted = 0;
  let failed = 0;
  // message_post works on one record at a time in Odoo (ensure_one).
  for (const group of chunk(ids, 10)) {
    await Promise.all(
      group.map((id) =>
        call(model, 'message_post', { ids: [id], body }).then(
          () => (posted += 1),
          () => (failed += 1),
        ),
      ),
    );
  }
  return { posted, failed };
}

function finish(
  method: string,
  records: readonly IndexedVals[],
  ids: ReadonlyMap<number, number>,
  failures: RecordFailure[],
  counts: { created: number; updated: number; reconciled: number; single: boolean },
): WriteOutcome {
  const byIndex = new Map(records.map((r) => [r.index, r.vals]));
  const failed = failures.sort((a, b) => a.index - b.index).map((f) => ({ ...f, vals: byIndex.get(f.index) }));
  return {
    method,
    ids: records.map((r) => ids.get(r.index) ?? null),
    ...counts,
    failed,
  };
}
