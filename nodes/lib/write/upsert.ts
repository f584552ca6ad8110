/**
 * Upsert planning: given the records of a chunk, their keys and what a lookup found, decide which are
 * created and which are written. Keys repeated inside one chunk create once and write the later values.
 */
import { ValidationError } from '../errors';
import { describe, isPlainObject } from '../read/validate';
import type { IndexedVals } from './isolate';

export type UpsertKey =
  /** External ID read from `field` of each record ("module.name", or "name" in `module`); the field is not sent to Odoo. */
  | { kind: 'xmlid'; field: string; module: string }
  /** A natural key field of the model itself (ref, default_code, email, client_order_ref...). */
  | { kind: 'field'; field: string };

export interface KeyedRecord extends IndexedVals {
  /** Normalised key: "module.name" for external IDs, the JSON of the value for natural keys. */
  key: string;
  keyValue: unknown;
}

export interface ExternalId {
  module: string;
  name: string;
}

export function splitExternalId(value: string, defaultModule: string): ExternalId {
  const dot = value.indexOf('.');
  if (dot <= 0) return { module: defaultModule, name: value };
  return { module: value.slice(0, dot), name: value.slice(dot + 1) };
}

/** Validates every record's key before any call, and strips the external ID field from the values. */
export function keyRecords(records: readonly IndexedVals[], key: UpsertKey, property = 'msg.payload'): KeyedRecord[] {
  return records.map(({ index, vals }) => {
    if (!isPlainObject(vals)) throw new ValidationError(`${property}[${index}] must be an object of field values; got ${describe(vals)}`, { property, index });
    const raw = vals[key.field];
    if (key.kind === 'xmlid') {
      if (typeof raw !== 'string' || raw.trim() === '' || raw.endsWith('.')) {
        throw new ValidationError(`${property}[${index}].${key.field} must be an external ID such as "my_module.partner_42"; got ${describe(raw)}`, { property, index });
      }
      const id = splitExternalId(raw.trim(), key.module);
      const rest = { ...vals };
      delete rest[key.field];
      return { index, vals: rest, key: `${id.module}.${id.name}`, keyValue: id };
    }
    if (raw === undefined || raw === null || raw === false || raw === '' || typeof raw === 'object') {
      throw new ValidationError(`${property}[${index}].${key.field} must hold the key value (string or number) used to find the existing record; got ${describe(raw)}`, { property, index });
    }
    return { index, vals, key: JSON.stringify(raw), keyValue: raw };
  });
}

export interface UpsertPlan {
  /** First occurrence of each key not found in Odoo. */
  create: KeyedRecord[];
  /** Records whose key exists in Odoo: write `vals` to `id`. */
  write: Array<KeyedRecord & { id: number }>;
  /** Later occurrences of a key being created in this chunk: written to the id the creation gets. */
  followers: Array<KeyedRecord & { leaderIndex: number }>;
}

export function planUpsert(records: readonly KeyedRecord[], existing: ReadonlyMap<string, number>): UpsertPlan {
  const plan: UpsertPlan = { create: [], write: [], followers: [] };
  const creating = new Map<string, number>();
  for (const record of records) {
    const id = existing.get(record.key);
    if (id !== undefined) {
      plan.write.push({ ...record, id });
    } else if (creating.has(record.key)) {
      plan.followers.push({ ...record, leaderIndex: creating.get(record.key) as number });
    } else {
      creating.set(record.key, record.index);
      plan.create.push(record);
    }
  }
  return plan;
}

/** The lookup call for a chunk: ir.model.data for external IDs, the model itself for a natural key. */
export function lookupRequest(model: string, key: UpsertKey, records: readonly KeyedRecord[]): { model: string; args: Record<string, unknown> } {
  if (key.kind === 'xmlid') {
    const ids = records.map((r) => r.keyValue as ExternalId);
    return {
      model: 'ir.model.data',
      args: {
        domain: [
          ['model', '=', model],
          ['module', 'in', [...new Set(ids.map((i) => i.module))]],
          ['name', 'in', [...new Set(ids.map((i) => i.name))]],
        ],
        fields: ['module', 'name', 'res_id'],
      },
    };
  }
  return {
    model,
    args: { domain: [[key.field, 'in', [...new Set(records.map((r) => r.keyValue))]]], fields: [key.field], order: 'id asc' },
  };
}

/** Maps lookup rows to key -> id (the oldest record wins when a natural key is not unique). */
export function existingFromLookup(key: UpsertKey, rows: ReadonlyArray<Record<string, unknown>>): Map<string, number> {
  const found = new Map<string, number>();
  for (const row of rows) {
    const k = key.kind === 'xmlid' ? `${String(row.module)}.${String(row.name)}` : JSON.stringify(row[key.field]);
    const id = key.kind === 'xmlid' ? row.res_id : row.id;
    if (typeof id === 'number' && !found.has(k)) found.set(k, id);
  }
  return found;
}

/**
 * Values for updating a record an upsert found. An x2many given only as create commands (`[0, 0, vals]`, e.g.
 * `order_line`) describes the full set of lines, so the update clears the old ones first (`[5, 0, 0]`); written
 * as is, a re-run of the same upsert (a retry, a resend) would append the lines a second time.
 */
export function valsForUpdate(vals: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [field, value] of Object.entries(vals)) {
    if (Array.isArray(value) && value.length > 0 && value.every((command) => Array.isArray(command) && command[0] === 0)) {
      out ??= { ...vals };
      out[field] = [[5, 0, 0], ...value];
    }
  }
  return out ?? vals;
}
