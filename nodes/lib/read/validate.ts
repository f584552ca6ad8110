/** Input checks shared by odoo-read and odoo-write: each failure names the property and what was expected. */
import { ValidationError } from '../errors';

const MODEL_NAME = /^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$/;

export function requireModel(value: unknown, property = 'model'): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${property} must be a non-empty string naming an Odoo model, e.g. "res.partner"; got ${describe(value)}`, { property });
  }
  const model = value.trim();
  if (!MODEL_NAME.test(model)) throw new ValidationError(`${property} "${model}" is not a valid Odoo model name (expected e.g. "res.partner")`, { property });
  return model;
}

/** A domain is a JSON list (string or array); empty means "all records". */
export function parseDomain(value: unknown, property = 'domain'): unknown[] {
  if (value === undefined || value === null || value === '') return [];
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new ValidationError(`${property} must be a JSON list such as [["is_company","=",true]]: ${(err as Error).message}`, { property });
    }
  }
  if (!Array.isArray(parsed)) throw new ValidationError(`${property} must be a list of conditions such as [["is_company","=",true]]; got ${describe(parsed)}`, { property });
  parsed.forEach((term, i) => {
    const isOperator = term === '&' || term === '|' || term === '!';
    const isCondition = Array.isArray(term) && term.length === 3 && typeof term[0] === 'string' && typeof term[1] === 'string';
    if (!isOperator && !isCondition && !isBoolean(term)) {
      throw new ValidationError(`${property}[${i}] must be "&", "|", "!" or a [field, operator, value] triple; got ${describe(term)}`, { property });
    }
  });
  return parsed;
}

/** Odoo accepts the constant leaves TRUE_LEAF/FALSE_LEAF as [1,"=",1] / [0,"=",1]. */
function isBoolean(term: unknown): boolean {
  return Array.isArray(term) && term.length === 3 && typeof term[0] === 'number' && term[1] === '=';
}

/** Fields as a comma list, a JSON array string or an array of strings; empty means "all fields". */
export function parseFields(value: unknown, property = 'fields'): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let list: unknown = value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[')) {
      try {
        list = JSON.parse(text);
      } catch (err) {
        throw new ValidationError(`${property} must be a comma list or a JSON array of field names: ${(err as Error).message}`, { property });
      }
    } else {
      list = text.split(',').map((f) => f.trim()).filter((f) => f !== '');
    }
  }
  if (!Array.isArray(list)) throw new ValidationError(`${property} must be a list of field names; got ${describe(list)}`, { property });
  list.forEach((f, i) => {
    if (typeof f !== 'string' || f.trim() === '') throw new ValidationError(`${property}[${i}] must be a field name (string); got ${describe(f)}`, { property });
  });
  return list.length === 0 ? undefined : (list as string[]).map((f) => f.trim());
}

/** Record ids: one positive integer or a list of them (a comma list string is accepted too). */
export function parseIds(value: unknown, property = 'ids'): number[] {
  let list: unknown = value;
  if (typeof value === 'number') list = [value];
  if (typeof value === 'string') {
    const text = value.trim();
    list = text.startsWith('[') ? safeJson(text) : text.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  }
  if (!Array.isArray(list)) throw new ValidationError(`${property} must be a record id or a list of record ids (integers); got ${describe(value)}`, { property });
  list.forEach((id, i) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id <= 0) {
      throw new ValidationError(`${property}[${i}] must be a positive integer record id; got ${describe(id)}`, { property });
    }
  });
  return list as number[];
}

/** Context as a JSON object (string or object); empty means none. */
export function parseContext(value: unknown, property = 'context'): Record<string, unknown> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw new ValidationError(`${property} must be a JSON object such as {"lang":"fr_FR"}: ${(err as Error).message}`, { property });
    }
  }
  if (!isPlainObject(parsed)) throw new ValidationError(`${property} must be an object such as {"lang":"fr_FR"}; got ${describe(parsed)}`, { property });
  return parsed;
}

/** A non-negative integer option (limit, offset, page size); empty means `fallback`. */
export function parseCount(value: unknown, property: string, fallback: number | undefined, min = 0): number | undefined {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw new ValidationError(`${property} must be an integer >= ${min}; got ${describe(value)}`, { property });
  }
  return n;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
