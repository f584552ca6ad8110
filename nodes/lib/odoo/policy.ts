import { ValidationError } from '../errors';
import { OdooError } from './errors';

/** The methods a read-only connection lets through; every other method counts as a write for the allow-lists. */
export const READ_METHODS: ReadonlySet<string> = new Set(['search_read', 'read', 'search', 'search_count', 'fields_get', 'name_search', 'read_group']);

export const ENVIRONMENTS = ['production', 'staging', 'test', 'development'] as const;
export type EnvironmentLabel = (typeof ENVIRONMENTS)[number];

/** The connection policy as the editor stores it (see contracts: allowRead, allowWrite, readOnly, maxRecords). */
export interface PolicySettings {
  allowRead?: string;
  allowWrite?: string;
  readOnly?: boolean | string;
  maxRecords?: number | string;
}

/** One `model:method[,method...]` entry, `*` matching any run of characters. */
export interface PolicyPattern {
  text: string;
  model: RegExp;
  methods: RegExp[];
}

export interface ConnectionPolicy {
  /** Undefined: every read is allowed. */
  allowRead?: PolicyPattern[];
  /** Undefined: every write is allowed. */
  allowWrite?: PolicyPattern[];
  readOnly: boolean;
  /** 0: no limit. */
  maxRecords: number;
}

const PATTERN_PART = /^[A-Za-z0-9_.*]+$/;

function glob(text: string): RegExp {
  return new RegExp(`^${text.split('*').map((s) => s.replace(/[.]/g, '\\.')).join('.*')}$`);
}

/**
 * Parses an allow-list: entries separated by whitespace, newlines or `;`, each `model:method,method` (a bare model
 * means every method). Blank is undefined (everything allowed). A malformed entry is a ValidationError naming it.
 */
export function parseAllowList(text: string | undefined, property: string): PolicyPattern[] | undefined {
  const entries = String(text ?? '').split(/[\s;]+/).filter((e) => e !== '');
  if (entries.length === 0) return undefined;
  return entries.map((entry) => {
    const [model, methods = '*', extra] = entry.split(':');
    const methodList = methods.split(',').filter((m) => m !== '');
    if (extra !== undefined || !PATTERN_PART.test(model) || methodList.length === 0 || !methodList.every((m) => PATTERN_PART.test(m) && !m.includes('.'))) {
      throw new ValidationError(`odoo-connection: ${property} entry "${entry}" must look like model:method[,method...] (e.g. res.partner:* or sale.order:create,write)`, { property });
    }
    return { text: entry, model: glob(model), methods: methodList.map(glob) };
  });
}

export function parsePolicy(settings: PolicySettings): ConnectionPolicy {
  const max = settings.maxRecords === undefined || settings.maxRecords === '' ? 0 : Number(settings.maxRecords);
  if (!Number.isInteger(max) || max < 0) {
    throw new ValidationError(`odoo-connection: maxRecords must be a whole number of records, 0 or blank for no limit (got ${JSON.stringify(settings.maxRecords)})`, { property: 'maxRecords' });
  }
  return {
    allowRead: parseAllowList(settings.allowRead, 'allowRead'),
    allowWrite: parseAllowList(settings.allowWrite, 'allowWrite'),
    readOnly: settings.readOnly === true || settings.readOnly === 'true',
    maxRecords: max,
  };
}

/** True when the policy lets everything through, so the client can skip it. */
export function isOpenPolicy(policy: ConnectionPolicy): boolean {
  return !policy.allowRead && !policy.allowWrite && !policy.readOnly && policy.maxRecords === 0;
}

function matches(patterns: PolicyPattern[], model: string, method: string): boolean {
  return patterns.some((p) => p.model.test(model) && p.methods.some((m) => m.test(method)));
}

/** How many records a write-type call touches: the vals_list length of create, the ids of anything else. */
export function recordCount(method: string, args: Record<string, unknown>): number | undefined {
  if (method === 'create') {
    const vals = args.vals_list;
    return Array.isArray(vals) ? vals.length : vals === undefined ? undefined : 1;
  }
  return Array.isArray(args.ids) ? args.ids.length : undefined;
}

function refused(rule: string, model: string, method: string, reason: string): OdooError {
  return new OdooError({ kind: 'policy', message: `connection policy ${rule} refused ${model}.${method}: ${reason}`, retryable: false, model, method });
}

/** Throws OdooError kind `policy` (ODOO_POLICY, not retryable) when the call breaks a rule; nothing has been sent. */
export function enforcePolicy(policy: ConnectionPolicy, model: string, method: string, args: Record<string, unknown>): void {
  const read = READ_METHODS.has(method);
  if (!read && policy.readOnly) throw refused('readOnly', model, method, `the connection is read-only (allowed: ${[...READ_METHODS].join(', ')})`);
  const list = read ? policy.allowRead : policy.allowWrite;
  if (list && !matches(list, model, method)) {
    throw refused(read ? 'allowRead' : 'allowWrite', model, method, `not in the ${read ? 'read' : 'write'} allow-list (${list.map((p) => p.text).join(' ')})`);
  }
  if (!read && policy.maxRecords > 0) {
    const count = recordCount(method, args);
    if (count !== undefined && count > policy.maxRecords) throw refused('maxRecords', model, method, `${count} records in one call, at most ${policy.maxRecords} allowed`);
  }
}
