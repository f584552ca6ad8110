/**
 * JSON Schema 2020-12 validation with ajv: each schema compiled once, errors reported as `[{path, message}]`
 * with the same dotted paths the mapper uses (`lines[2].quantity`).
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { FieldError } from './types';

export interface SchemaValidator {
  /** The schema's `$id` (or `inline` for a schema without one). */
  readonly id: string;
  validate(value: unknown): FieldError[];
}

export interface SchemaRegistry {
  /** Validator for a registered schema `$id`, compiled on first use then reused. */
  get(id: string): SchemaValidator;
  has(id: string): boolean;
  ids(): string[];
  /**
   * Validator for a schema that is not registered (a user's file or inline JSON). It may `$ref` registered
   * schemas. Compiled in its own ajv instance so a user schema reusing a bundled `$id` cannot clash.
   */
  compile(schema: Record<string, unknown>): SchemaValidator;
}

function newAjv(strict: boolean): Ajv2020 {
  // strictRequired is off: `anyOf: [{required: [a]}, ...]` naming properties declared beside it is intended.
  const ajv = new Ajv2020({ allErrors: true, strict, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

export function createSchemaRegistry(schemas: Array<Record<string, unknown>>): SchemaRegistry {
  // Bundled schemas are held to ajv's strict mode; user schemas are not (unknown keywords are theirs to use).
  const ajv = newAjv(true);
  for (const schema of schemas) ajv.addSchema(schema);
  const cache = new Map<string, SchemaValidator>();
  const ids = schemas.map((s) => String(s.$id));

  return {
    has: (id) => ids.includes(id),
    ids: () => ids.slice(),
    get(id) {
      let validator = cache.get(id);
      if (!validator) {
        const fn = ajv.getSchema(id);
        if (!fn) throw new Error(`unknown schema '${id}' (known: ${ids.join(', ')})`);
        validator = wrap(id, fn);
        cache.set(id, validator);
      }
      return validator;
    },
    compile(schema) {
      if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new Error('a schema must be a JSON object');
      const own = newAjv(false);
      const ownId = typeof schema.$id === 'string' ? schema.$id : undefined;
      for (const s of schemas) if (s.$id !== ownId) own.addSchema(s);
      return wrap(ownId ?? 'inline', own.compile(schema));
    },
  };
}

function wrap(id: string, fn: ValidateFunction): SchemaValidator {
  return {
    id,
    validate(value) {
      return fn(value) ? [] : toFieldErrors(fn.errors ?? []);
    },
  };
}

/**
 * One error per problem: the branch errors of an `anyOf` whose branches are all `required` are folded into
 * one "needs one of: a, b, c" on the object itself.
 */
export function toFieldErrors(errors: ErrorObject[]): FieldError[] {
  const folded = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const branches = errors.filter((b) => b.instancePath === e.instancePath && b.schemaPath.startsWith(`${e.schemaPath}/`));
    if (branches.length > 0 && branches.every((b) => b.keyword === 'required')) {
      folded.set(e.schemaPath, branches.map((b) => String((b.params as { missingProperty: string }).missingProperty)));
    }
  }
  const out: FieldError[] = [];
  for (const e of errors) {
    const foldedInto = [...folded.keys()].some((anyOf) => e.schemaPath.startsWith(`${anyOf}/`));
    if (foldedInto) continue;
    const names = e.keyword === 'anyOf' ? folded.get(e.schemaPath) : undefined;
    const field = toFieldError(e);
    out.push(names ? { path: field.path, message: `needs one of: ${names.join(', ')}` } : field);
  }
  return out;
}

/** `/lines/2/quantity` -> `lines[2].quantity`; a missing property is named in the path itself. */
export function toFieldError(e: ErrorObject): FieldError {
  const segments = e.instancePath === '' ? [] : e.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    segments.push(String((e.params as { missingProperty: string }).missingProperty));
    message = 'is required';
  } else if (e.keyword === 'additionalProperties') {
    segments.push(String((e.params as { additionalProperty: string }).additionalProperty));
    message = 'is not allowed here';
  } else if (e.keyword === 'enum') {
    message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  let path = '';
  for (const s of segments) path += /^\d+$/.test(s) ? `[${s}]` : path === '' ? s : `.${s}`;
  return { path, message };
}
