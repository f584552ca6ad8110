/** Where an idempotency key comes from: a message property, a JSONata expression, a header, or a hash of fields. */
import jsonata from 'jsonata';
import { ValidationError } from '../errors';
import { canonicalJson, sha256Hex } from './canonical';
import { parsePath, readPath } from './path';

export type KeySource =
  | { type: 'msg'; path: string }
  | { type: 'jsonata'; expression: string }
  /** Looked up case-insensitively in `msg.req.headers` (HTTP In), then `msg.headers`. */
  | { type: 'header'; name: string }
  /** Paths inside `msg.payload`; the key is the SHA-256 of their canonical JSON. */
  | { type: 'hash'; fields: string[] };

export type JsonataEvaluator = (msg: Record<string, unknown>) => Promise<unknown>;

export type KeyExtractor = (msg: Record<string, unknown>) => Promise<string>;

export const MAX_KEY_LENGTH = 1024;

/** Plain jsonata; the node passes Node-RED's own (with $env, $flowContext...) instead. */
export function compileJsonata(expression: string): JsonataEvaluator {
  let compiled: ReturnType<typeof jsonata>;
  try {
    compiled = jsonata(expression);
  } catch (err) {
    throw new ValidationError(`Invalid JSONata key expression: ${(err as Error).message}`, { expression });
  }
  return (msg) => Promise.resolve(compiled.evaluate(msg));
}

function describe(source: KeySource): string {
  switch (source.type) {
    case 'msg':
      return `msg.${source.path.replace(/^msg\./, '')}`;
    case 'jsonata':
      return `JSONata expression ${source.expression}`;
    case 'header':
      return `header "${source.name}" (msg.req.headers or msg.headers)`;
    case 'hash':
      return `hash of msg.payload fields ${source.fields.join(', ')}`;
  }
}

/** A key is a non-empty string or a finite number (as text); anything else names where it was looked for. */
export function normaliseKey(value: unknown, from: string): string {
  let key: string | undefined;
  if (typeof value === 'string' && value.trim() !== '') key = value;
  else if (typeof value === 'number' && Number.isFinite(value)) key = String(value);
  if (key === undefined) {
    const got = value === undefined ? 'missing' : value === null ? 'null' : value === '' ? 'an empty string' : `a ${Array.isArray(value) ? 'array' : typeof value}`;
    throw new ValidationError(`Idempotency key ${from} is ${got}; expected a non-empty string or a number`, { property: from });
  }
  if (key.length > MAX_KEY_LENGTH) {
    throw new ValidationError(`Idempotency key ${from} is ${key.length} characters long; expected at most ${MAX_KEY_LENGTH} (use a hash of fields for long keys)`, { property: from });
  }
  return key;
}

function findHeader(headers: unknown, name: string): unknown {
  if (headers === null || typeof headers !== 'object') return undefined;
  const wanted = name.toLowerCase();
  for (const [header, value] of Object.entries(headers as Record<string, unknown>)) {
    if (header.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** Validates the source once (paths, expression) and returns the per-message extractor. */
export function createKeyExtractor(source: KeySource, options: { compile?: (expression: string) => JsonataEvaluator } = {}): KeyExtractor {
  const from = describe(source);
  switch (source.type) {
    case 'msg': {
      parsePath(source.path);
      return (msg) => {
        try {
          return Promise.resolve(normaliseKey(readPath(msg, source.path), from));
        } catch (err) {
          return Promise.reject(err);
        }
      };
    }
    case 'jsonata': {
      const evaluate = (options.compile ?? compileJsonata)(source.expression);
      return async (msg) => {
        let value: unknown;
        try {
          value = await evaluate(msg);
        } catch (err) {
          throw new ValidationError(`Idempotency key ${from} failed: ${(err as Error).message}`, { property: from });
        }
        return normaliseKey(value, from);
      };
    }
    case 'header': {
      if (!source.name.trim()) throw new ValidationError('Idempotency key header name is empty; expected a header such as Idempotency-Key');
      return (msg) => {
        const req = msg.req as { headers?: unknown } | undefined;
        const value = findHeader(req?.headers, source.name) ?? findHeader(msg.headers, source.name);
        try {
          return Promise.resolve(normaliseKey(value, from));
        } catch (err) {
          return Promise.reject(err);
        }
      };
    }
    case 'hash': {
      const fields = source.fields.map((f) => f.trim()).filter((f) => f !== '');
      if (fields.length === 0) throw new ValidationError('Idempotency key hash has no fields; expected payload field paths such as orderId, customer.email');
      for (const field of fields) parsePath(field);
      return (msg) => {
        const picked: Record<string, unknown> = {};
        for (const field of fields) {
          const value = readPath(msg.payload, field);
          if (value === undefined) {
            return Promise.reject(
              new ValidationError(`Idempotency key field msg.payload.${field} is missing; the key is a hash of ${fields.map((f) => `msg.payload.${f}`).join(', ')}`, {
                property: `msg.payload.${field}`,
              }),
            );
          }
          picked[field] = value;
        }
        try {
          return Promise.resolve(sha256Hex(canonicalJson(picked)));
        } catch (err) {
          return Promise.reject(err);
        }
      };
    }
  }
}
