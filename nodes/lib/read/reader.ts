/**
 * The read engine behind odoo-read: one call for the simple operations, bounded paging for search_read.
 * Pages are fetched one after another and handed to `onBatch`, which is awaited before the next fetch, so a
 * slow consumer (and the watermark save) holds back the reads.
 */
import { MiddlewareError, ValidationError } from '../errors';
import type { CallOptions, OdooClient } from '../odoo/types';
import { advanceWatermark, incrementalDomain, INCREMENTAL_ORDER, type Watermark } from './incremental';

export type ReadOperation = 'search_read' | 'read' | 'search_count' | 'fields_get' | 'name_search';
export type OutputMode = 'all' | 'page' | 'record';

export const READ_OPERATIONS: readonly ReadOperation[] = ['search_read', 'read', 'search_count', 'fields_get', 'name_search'];
export const DEFAULT_PAGE_SIZE = 1000;
export const DEFAULT_MAX_RECORDS = 10000;

export interface ReadRequest {
  model: string;
  operation: ReadOperation;
  domain: unknown[];
  fields?: string[];
  order?: string;
  limit?: number;
  offset?: number;
  ids?: number[];
  /** name_search's search text. */
  name?: string;
  context?: Record<string, unknown>;
  output: OutputMode;
  pageSize: number;
  maxRecords: number;
  incremental?: { watermark?: Watermark; includeArchived: boolean };
}

export interface Batch {
  /** Records (search_read/read) or the operation's result (search_count, fields_get, name_search). */
  result: unknown;
  /** Number of records in `result` (1 for a scalar result). */
  count: number;
  index: number;
  last: boolean;
  /** The watermark to store once this batch has been delivered (incremental mode). */
  watermark?: Watermark;
}

export interface ReadSummary {
  batches: number;
  records: number;
  watermark?: Watermark;
}

type Caller = Pick<OdooClient, 'call'>;
type Records = Array<Record<string, unknown>>;

export async function runRead(client: Caller, req: ReadRequest, options: CallOptions, onBatch: (batch: Batch) => Promise<void>): Promise<ReadSummary> {
  const call = <T>(method: string, args: Record<string, unknown>, context = req.context): Promise<T> =>
    client.call<T>(req.model, method, args, { ...options, ...(context ? { context: { ...options.context, ...context } } : {}) });

  switch (req.operation) {
    case 'search_count': {
      const result = await call<number>('search_count', { domain: req.domain });
      await onBatch({ result, count: 1, index: 0, last: true });
      return { batches: 1, records: 1 };
    }
    case 'fields_get': {
      const args: Record<string, unknown> = { attributes: ['string', 'type', 'required', 'readonly', 'relation', 'selection', 'help'] };
      if (req.fields) args.allfields = req.fields;
      const result = await call<Record<string, unknown>>('fields_get', args);
      await onBatch({ result, count: Object.keys(result).length, index: 0, last: true });
      return { batches: 1, records: Object.keys(result).length };
    }
    case 'name_search': {
      const args: Record<string, unknown> = { name: req.name ?? '', domain: req.domain, operator: 'ilike' };
      if (req.limit !== undefined) args.limit = req.limit;
      const result = await call<unknown[]>('name_search', args);
      await onBatch({ result, count: result.length, index: 0, last: true });
      return { batches: 1, records: result.length };
    }
    case 'read': {
      if (!req.ids || req.ids.length === 0) throw new ValidationError('read needs record ids: set "ids" (e.g. msg.payload = [1, 2])', { property: 'ids' });
      if (req.ids.length > req.maxRecords) throw tooMany(req.maxRecords);
      const args: Record<string, unknown> = { ids: req.ids };
      if (req.fields) args.fields = req.fields;
      const result = await call<Records>('read', args);
      await onBatch({ result, count: result.length, index: 0, last: true });
      return { batches: 1, records: result.length };
    }
    case 'search_read':
      return req.output === 'all' ? readAll(call, req, onBatch) : readPages(call, req, onBatch);
  }
}

type Call = <T>(method: string, args: Record<string, unknown>, context?: Record<string, unknown>) => Promise<T>;

function searchArgs(req: ReadRequest, domain: unknown[], limit: number, offset: number): Record<string, unknown> {
  const args: Record<string, unknown> = { domain, limit, offset, order: req.incremental ? INCREMENTAL_ORDER : req.order || 'id asc' };
  if (req.fields) args.fields = req.incremental && !req.fields.includes('write_date') ? [...req.fields, 'write_date'] : req.fields;
  return args;
}

function readContext(req: ReadRequest): Record<string, unknown> | undefined {
  if (req.incremental?.includeArchived) return { ...req.context, active_test: false };
  return req.context;
}

function tooMany(max: number): ValidationError {
  return new ValidationError(
    `The query matches more than ${max} records (the "max records" guard of output mode "all"): switch the output to "page" or "record" mode, narrow the domain or raise the guard`,
    { property: 'maxRecords', maxRecords: max },
  );
}

async function readAll(call: Call, req: ReadRequest, onBatch: (batch: Batch) => Promise<void>): Promise<ReadSummary> {
  const domain = incrementalDomain(req.domain, req.incremental?.watermark);
  const bounded = req.limit !== undefined && req.limit > 0 && req.limit <= req.maxRecords;
  // One record more than the guard tells "more than allowed" apart from "exactly the guard" without a count call.
  const limit = bounded ? (req.limit as number) : req.maxRecords + 1;
  const records = await call<Records>('search_read', searchArgs(req, domain, limit, req.incremental ? 0 : req.offset ?? 0), readContext(req));
  if (!bounded && records.length > req.maxRecords) throw tooMany(req.maxRecords);
  const watermark = req.incremental ? advanceWatermark(req.incremental.watermark, records) : undefined;
  await onBatch({ result: records, count: records.length, index: 0, last: true, ...(watermark ? { watermark } : {}) });
  return { batches: 1, records: records.length, ...(watermark ? { watermark } : {}) };
}

async function readPages(call: Call, req: ReadRequest, onBatch: (batch: Batch) => Promise<void>): Promise<ReadSummary> {
  let watermark = req.incremental?.watermark;
  let remaining = req.limit !== undefined && req.limit > 0 ? req.limit : Infinity;
  let offset = req.offset ?? 0;
  let index = 0;
  let total = 0;
  for (;;) {
    const size = Math.min(req.pageSize, remaining);
    // Incremental mode pages by key (the watermark moves past each page), plain mode by offset.
    const domain = req.incremental ? incrementalDomain(req.domain, watermark) : req.domain;
    const fetched = await call<Records>('search_read', searchArgs(req, domain, size + 1, req.incremental ? 0 : offset), readContext(req));
    const records = fetched.slice(0, size);
    remaining -= records.length;
    const last = fetched.length <= size || remaining <= 0;
    if (req.incremental) {
      const previous = watermark;
      watermark = advanceWatermark(watermark, records);
      // A server ignoring the watermark condition would make keyset paging loop forever.
      if (!last && previous !== undefined && watermark?.writeDate === previous.writeDate && watermark.id === previous.id) {
        throw new MiddlewareError('protocol', `Incremental read of ${req.model} did not advance past write_date ${previous.writeDate}, id ${previous.id}`);
      }
    }
    await onBatch({ result: records, count: records.length, index, last, ...(watermark ? { watermark } : {}) });
    total += records.length;
    index += 1;
    offset += records.length;
    if (last) return { batches: index, records: total, ...(watermark ? { watermark } : {}) };
  }
}
