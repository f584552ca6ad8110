import { OdooError } from './errors';
import type { CallOptions } from './types';
import { isPlainObject } from './wire';

const MODEL_NAME = /^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$/i;
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Header values may not carry line breaks or other control characters. */
const HEADER_SAFE = /^[\x20-\x7e]*$/;

function invalid(message: string, model?: string, method?: string): OdooError {
  return new OdooError({ kind: 'validation', message, model, method });
}

/**
 * Checks a call before any request, with the property named in the message. A private method gets Odoo's own
 * answer (AccessError, HTTP 403) without asking Odoo.
 */
export function validateCall(model: unknown, method: unknown, args: unknown, options: unknown): void {
  if (typeof model !== 'string' || !MODEL_NAME.test(model)) {
    throw invalid(`model must be an Odoo model name like "res.partner" (got ${JSON.stringify(model) ?? String(model)})`);
  }
  if (typeof method !== 'string' || !METHOD_NAME.test(method)) {
    throw invalid(`method must be a method name like "search_read" (got ${JSON.stringify(method) ?? String(method)})`, model);
  }
  if (method.startsWith('_')) {
    const odooMessage = `Private methods (such as '${model}.${method}') cannot be called remotely.`;
    throw new OdooError({ kind: 'access', message: `Odoo refused access to ${model}.${method}: ${odooMessage}`, odooName: 'odoo.exceptions.AccessError', odooMessage, status: 403, model, method });
  }
  if (args !== undefined && !isPlainObject(args)) {
    throw invalid(`args of ${model}.${method} must be an object of named arguments, e.g. {"domain": [], "limit": 10} (got ${describeType(args)})`, model, method);
  }
  if (args !== undefined && args.context !== undefined && !isPlainObject(args.context)) {
    throw invalid(`args.context of ${model}.${method} must be an object (got ${describeType(args.context)})`, model, method);
  }
  if (options === undefined) return;
  if (!isPlainObject(options)) throw invalid(`call options must be an object (got ${describeType(options)})`, model, method);
  const { context, correlationId, traceparent } = options as CallOptions;
  if (context !== undefined && !isPlainObject(context)) {
    throw invalid(`options.context of ${model}.${method} must be an object (got ${describeType(context)})`, model, method);
  }
  for (const [name, value] of [['correlationId', correlationId], ['traceparent', traceparent]] as const) {
    if (value === undefined) continue;
    if (typeof value !== 'string' || !HEADER_SAFE.test(value) || value.length > 512) {
      throw invalid(`options.${name} must be printable ASCII text of at most 512 characters (got ${JSON.stringify(value)})`, model, method);
    }
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object that is not a plain object' : `${typeof value} ${JSON.stringify(value)}`;
}
