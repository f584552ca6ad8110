/**
 * The values editor of odoo-write: a list of `Odoo field <- value` rules turned into the `vals` the node writes.
 * A many2one can be found by name, external ID or email (looked up once and cached); a one2many/many2many is
 * built from an array in the message, as x2many commands.
 */
import { ValidationError } from '../errors';
import type { CallOptions, OdooClient } from '../odoo/types';
import { describe, isPlainObject } from '../read/validate';
import { splitExternalId } from './upsert';

export type ValueLookup = 'id' | 'name' | 'xmlid' | 'email';
const LOOKUPS: readonly ValueLookup[] = ['id', 'name', 'xmlid', 'email'];
const VALUE_TYPES = ['str', 'num', 'bool', 'json', 'date', 'msg', 'flow', 'global', 'env', 'jsonata'];
const FIELD_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** One field of a line of a one2many/many2many, read from a path inside each array element. */
export interface LineRule {
  field: string;
  /** Dotted path inside the element, e.g. "sku" or "price.amount". */
  path: string;
  lookup?: ValueLookup;
  /** Comodel of the line field when it is a many2one looked up by name, external ID or email. */
  relation?: string;
}

export interface ValueRule {
  field: string;
  /** typedInput type and value the rule's value comes from. */
  type: string;
  value: string;
  /** Odoo type of the field when the rule was edited (from fields_get): decides how the value is sent. */
  fieldType?: string;
  relation?: string;
  lookup?: ValueLookup;
  /** For one2many/many2many: each element of the array becomes a line with these fields. */
  lines?: LineRule[];
}

const X2MANY = new Set(['one2many', 'many2many']);

/** Checks the rules a dialog saved; called once when the node starts, so a broken list fails at deploy. */
export function parseValueRules(raw: unknown): ValueRule[] {
  if (raw === undefined || raw === null || raw === '') return [];
  if (!Array.isArray(raw)) throw new ValidationError(`values must be a list of field rules; got ${describe(raw)}`, { property: 'values' });
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const where = `values[${i}]`;
    if (!isPlainObject(item)) throw new ValidationError(`${where} must be an object {field, type, value}; got ${describe(item)}`, { property: 'values' });
    const field = typeof item.field === 'string' ? item.field.trim() : '';
    if (!FIELD_NAME.test(field)) throw new ValidationError(`${where}.field must be an Odoo field name such as "partner_id"; got ${describe(item.field)}`, { property: 'values' });
    if (seen.has(field)) throw new ValidationError(`${where}: field "${field}" is set twice`, { property: 'values' });
    seen.add(field);
    const type = typeof item.type === 'string' && item.type ? item.type : 'str';
    if (!VALUE_TYPES.includes(type)) throw new ValidationError(`${where}.type must be one of ${VALUE_TYPES.join(', ')}; got ${describe(item.type)}`, { property: 'values' });
    const rule: ValueRule = { field, type, value: typeof item.value === 'string' ? item.value : item.value === undefined ? '' : String(item.value) };
    if (typeof item.fieldType === 'string' && item.fieldType) rule.fieldType = item.fieldType;
    if (typeof item.relation === 'string' && item.relation) rule.relation = item.relation;
    const lookup = parseLookup(item.lookup, where);
    if (lookup && lookup !== 'id') {
      if (!rule.relation) throw new ValidationError(`${where}: a lookup by ${lookup} needs the field's related model (pick the field from the list)`, { property: 'values' });
      rule.lookup = lookup;
    }
    if (item.lines !== undefined && item.lines !== null && !(Array.isArray(item.lines) && item.lines.length === 0)) {
      if (!Array.isArray(item.lines)) throw new ValidationError(`${where}.lines must be a list of line fields; got ${describe(item.lines)}`, { property: 'values' });
      rule.lines = item.lines.map((line, j) => parseLineRule(line, `${where}.lines[${j}]`));
    }
    return rule;
  });
}

function parseLookup(raw: unknown, where: string): ValueLookup | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!LOOKUPS.includes(raw as ValueLookup)) throw new ValidationError(`${where}.lookup must be one of ${LOOKUPS.join(', ')}; got ${describe(raw)}`, { property: 'values' });
  return raw as ValueLookup;
}

function parseLineRule(raw: unknown, where: string): LineRule {
  if (!isPlainObject(raw)) throw new ValidationError(`${where} must be an object {field, path}; got ${describe(raw)}`, { property: 'values' });
  const field = typeof raw.field === 'string' ? raw.field.trim() : '';
  if (!FIELD_NAME.test(field)) throw new ValidationError(`${where}.field must be an Odoo field name; got ${describe(raw.field)}`, { property: 'values' });
  const path = typeof raw.path === 'string' ? raw.path.trim() : '';
  if (path === '') throw new ValidationError(`${where}.path must name a property of each element, e.g. "sku"`, { property: 'values' });
  const line: LineRule = { field, path };
  if (typeof raw.relation === 'string' && raw.relation) line.relation = raw.relation;
  const lookup = parseLookup(raw.lookup, where);
  if (lookup && lookup !== 'id') {
    if (!line.relation) throw new ValidationError(`${where}: a lookup by ${lookup} needs the field's related model`, { property: 'values' });
    line.lookup = lookup;
  }
  return line;
}

/** Finds the id of a `relation` record by name, external ID or email. */
export type Resolve = (relation: string, lookup: Exclude<ValueLookup, 'id'>, value: string, field: string) => Promise<number>;

/**
 * Builds `vals` from the rules. `evaluate` gives a rule's raw value for the message (undefined: the field is left
 * out). Errors name the field and say what was expected.
 */
export async function buildVals(rules: readonly ValueRule[], evaluate: (rule: ValueRule) => Promise<unknown>, resolve: Resolve): Promise<Record<string, unknown>> {
  const vals: Record<string, unknown> = {};
  const raws = await Promise.all(rules.map((rule) => evaluate(rule)));
  await Promise.all(
    rules.map(async (rule, i) => {
      const raw = raws[i];
      if (raw === undefined) return;
      vals[rule.field] = X2MANY.has(rule.fieldType ?? '') || rule.lines ? await x2manyCommands(rule, raw, resolve) : await singleValue(rule.field, rule.relation, rule.lookup, raw, resolve);
    }),
  );
  // Field order as configured, whatever order the lookups finished in.
  const ordered: Record<string, unknown> = {};
  for (const rule of rules) if (rule.field in vals) ordered[rule.field] = vals[rule.field];
  return ordered;
}

async function singleValue(field: string, relation: string | undefined, lookup: ValueLookup | undefined, raw: unknown, resolve: Resolve): Promise<unknown> {
  if (!lookup || lookup === 'id' || !relation) return raw;
  // No value means "no record": Odoo clears a many2one given false.
  if (raw === null || raw === false || raw === '') return false;
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  if (typeof raw !== 'string') throw new ValidationError(`${field}: a lookup by ${lookup} needs a text value; got ${describe(raw)}`, { property: field });
  return resolve(relation, lookup, raw.trim(), field);
}

async function x2manyCommands(rule: ValueRule, raw: unknown, resolve: Resolve): Promise<unknown[]> {
  if (raw === null || raw === false) return [];
  if (!Array.isArray(raw)) throw new ValidationError(`${rule.field}: lines come from an array in the message; got ${describe(raw)}`, { property: rule.field });
  const links: number[] = [];
  const creates: unknown[] = [];
  await Promise.all(
    raw.map(async (item, i) => {
      if (rule.lines) {
        if (!isPlainObject(item)) throw new ValidationError(`${rule.field}[${i}] must be an object to take line fields from; got ${describe(item)}`, { property: rule.field, index: i });
        creates[i] = [0, 0, await lineVals(rule.lines, item, `${rule.field}[${i}]`, resolve)];
      } else if (isPlainObject(item)) {
        creates[i] = [0, 0, item];
      } else {
        const id = await singleValue(`${rule.field}[${i}]`, rule.relation, rule.lookup, item, resolve);
        if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) {
          throw new ValidationError(`${rule.field}[${i}] must be a record id, an object of line values${rule.lookup && rule.lookup !== 'id' ? ` or a ${rule.lookup}` : ''}; got ${describe(item)}`, { property: rule.field, index: i });
        }
        links[i] = id;
      }
    }),
  );
  const ids = links.filter((id) => id !== undefined);
  const created = creates.filter((c) => c !== undefined);
  if (rule.fieldType === 'many2many') return ids.length > 0 || created.length === 0 ? [[6, 0, ids], ...created] : created;
  return [...ids.map((id) => [4, id]), ...created];
}

async function lineVals(lines: readonly LineRule[], item: Record<string, unknown>, where: string, resolve: Resolve): Promise<Record<string, unknown>> {
  const vals: Record<string, unknown> = {};
  for (const line of lines) {
    const raw = valueAt(item, line.path);
    if (raw === undefined) continue;
    vals[line.field] = await singleValue(`${where}.${line.field}`, line.relation, line.lookup, raw, resolve);
  }
  return vals;
}

function valueAt(item: Record<string, unknown>, path: string): unknown {
  let current: unknown = item;
  for (const part of path.split('.')) {
    if (!isPlainObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

type Caller = Pick<OdooClient, 'call'>;

export const LOOKUP_TTL_MS = 5 * 60_000;

/**
 * Lookups cached per node: the same customer name or product external ID in the next message is not asked again
 * until the TTL passes. Misses and errors are not cached (the record may be created meanwhile).
 */
export class LookupCache {
  private readonly hits = new Map<string, { at: number; id: Promise<number> }>();

  constructor(
    private readonly ttlMs = LOOKUP_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  resolver(client: Caller, options: CallOptions = {}): Resolve {
    return (relation, lookup, value, field) => {
      const key = JSON.stringify([relation, lookup, lookup === 'email' ? value.toLowerCase() : value]);
      const now = this.now();
      const hit = this.hits.get(key);
      if (hit && now - hit.at < this.ttlMs) return hit.id;
      const id = findId(client, options, relation, lookup, value, field);
      const entry = { at: now, id };
      this.hits.set(key, entry);
      id.catch(() => {
        if (this.hits.get(key) === entry) this.hits.delete(key);
      });
      return id;
    };
  }
}

async function findId(client: Caller, options: CallOptions, relation: string, lookup: Exclude<ValueLookup, 'id'>, value: string, field: string): Promise<number> {
  const notFound = (what: string) => new ValidationError(`${field}: no ${relation} record ${what}`, { property: field, relation, lookup, value });
  if (lookup === 'xmlid') {
    const { module, name } = splitExternalId(value, '__import__');
    const rows = await client.call<Array<{ model: string; res_id: number }>>('ir.model.data', 'search_read', { domain: [['module', '=', module], ['name', '=', name]], fields: ['model', 'res_id'], limit: 1 }, options);
    if (rows.length === 0) throw notFound(`with external ID "${module}.${name}"`);
    if (rows[0].model !== relation) throw new ValidationError(`${field}: external ID "${module}.${name}" is a ${rows[0].model} record, not ${relation}`, { property: field, relation, lookup, value });
    return rows[0].res_id;
  }
  if (lookup === 'email') {
    const rows = await client.call<Array<{ id: number }>>(relation, 'search_read', { domain: [['email', '=ilike', value]], fields: ['id'], limit: 2, order: 'id asc' }, options);
    if (rows.length === 0) throw notFound(`with email "${value}"`);
    if (rows.length > 1) throw new ValidationError(`${field}: more than one ${relation} record has email "${value}"; look it up by external ID instead`, { property: field, relation, lookup, value });
    return rows[0].id;
  }
  const hits = await client.call<Array<[number, string]>>(relation, 'name_search', { name: value, operator: '=', limit: 2 }, options);
  if (hits.length === 0) throw notFound(`named "${value}"`);
  if (hits.length > 1) throw new ValidationError(`${field}: more than one ${relation} record is named "${value}"; look it up by external ID instead`, { property: field, relation, lookup, value });
  return hits[0][0];
}
