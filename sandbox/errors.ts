/**
 * Server-side exceptions of the sandbox, shaped like the Python exceptions a real Odoo 19 serializes:
 * `name` is the Python class path, `status` the HTTP status JSON-2 answers with.
 */
export class OdooServerError extends Error {
  readonly odooName: string;
  readonly status: number;
  readonly arguments: unknown[];
  /** Replaces the generated traceback (AccessDenied carries a single line in real Odoo). */
  readonly debugOverride?: string;

  constructor(odooName: string, message: string, status: number, args?: unknown[], debugOverride?: string) {
    super(message);
    this.name = 'OdooServerError';
    this.odooName = odooName;
    this.status = status;
    this.arguments = args ?? [message];
    this.debugOverride = debugOverride;
  }

  get debug(): string {
    return this.debugOverride ?? traceback(this.odooName, this.message);
  }

  /** The `{name, message, arguments, context, debug}` object both protocols carry. */
  toData(): Record<string, unknown> {
    return { name: this.odooName, message: this.message, arguments: this.arguments, context: {}, debug: this.debug };
  }
}

const FRAMES = [
  ['odoo/http.py', 2432, '_serve_db', 'return service_model.retrying(serve_func, env=self.env)'],
  ['odoo/service/model.py', 186, 'retrying', 'result = func()'],
  ['odoo/http.py', 2469, '_serve_ir_http', 'response = self.dispatcher.dispatch(rule.endpoint, args)'],
  ['odoo/http.py', 2683, 'dispatch', 'result = self.request.registry[\'ir.http\']._dispatch(endpoint)'],
  ['odoo/addons/base/models/ir_http.py', 357, '_dispatch', 'result = endpoint(**request.params)'],
  ['odoo/http.py', 754, 'route_wrapper', 'result = endpoint(self, *args, **params_ok)'],
  ['odoo/service/model.py', 98, 'call_kw', 'result = method(recs, *args, **kwargs)'],
  ['odoo/api.py', 533, '_call_kw_model', 'result = method(recs, *args, **kwargs)'],
  ['odoo/orm/models.py', 5321, '_validate_fields', 'check(self)'],
] as const;

/** A Python-looking traceback: Odoo always sends one in `debug`, several KB long, with server paths. */
export function traceback(name: string, message: string): string {
  const lines = ['Traceback (most recent call last):'];
  for (const [file, line, fn, code] of FRAMES) {
    lines.push(`  File "/usr/lib/python3/dist-packages/${file}", line ${line}, in ${fn}`, `    ${code}`);
  }
  lines.push(`${name}: ${message}`, '');
  return lines.join('\n');
}

/** Python's repr() of a JSON value, as Odoo puts it in error messages. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    const escaped = value
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\t/g, '\\t')
      .replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
    return `${quote}${escaped}${quote}`;
  }
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`);
    return `{${entries.join(', ')}}`;
  }
  return String(value);
}

/** Python's repr() of a tuple: a one-element tuple keeps its trailing comma. */
export function pyTuple(values: readonly unknown[]): string {
  return values.length === 1 ? `(${pyRepr(values[0])},)` : `(${values.map(pyRepr).join(', ')})`;
}

export function recordRepr(model: string, ids: readonly number[]): string {
  return `${model}${pyTuple(ids)}`;
}

// Factories for the exceptions real Odoo raises, with its texts.

export function missingError(model: string, ids: readonly number[], uid: number): OdooServerError {
  return new OdooServerError(
    'odoo.exceptions.MissingError',
    `Record does not exist or has been deleted.\n(Record: ${recordRepr(model, ids)}, User: ${uid})`,
    404,
  );
}

export function validationError(message: string): OdooServerError {
  return new OdooServerError('odoo.exceptions.ValidationError', message, 422);
}

export function userError(message: string): OdooServerError {
  return new OdooServerError('odoo.exceptions.UserError', message, 422);
}

export function accessError(message: string): OdooServerError {
  return new OdooServerError('odoo.exceptions.AccessError', message, 403);
}

export function accessDenied(): OdooServerError {
  return new OdooServerError(
    'odoo.exceptions.AccessDenied',
    'Access Denied',
    403,
    ['Access Denied'],
    'odoo.exceptions.AccessDenied: Access Denied\n',
  );
}

export function valueError(message: string): OdooServerError {
  return new OdooServerError('builtins.ValueError', message, 500);
}

export function typeError(message: string): OdooServerError {
  return new OdooServerError('builtins.TypeError', message, 500);
}

/** werkzeug HTTP exceptions carry `[description, status]` as arguments. */
export function httpError(status: 400 | 401 | 404 | 422, message: string): OdooServerError {
  const names = {
    400: 'werkzeug.exceptions.BadRequest',
    401: 'werkzeug.exceptions.Unauthorized',
    404: 'werkzeug.exceptions.NotFound',
    422: 'werkzeug.exceptions.UnprocessableEntity',
  } as const;
  return new OdooServerError(names[status], message, status, [message, status]);
}

export function serializationFailure(): OdooServerError {
  return new OdooServerError(
    'psycopg2.errors.SerializationFailure',
    'could not serialize access due to concurrent update\n',
    500,
  );
}

/** Odoo's RPC layer turns a NOT NULL violation into this ValidationError (odoo/service/model.py). */
export function notNullError(fieldLabel: string, field: string, modelLabel: string, model: string): OdooServerError {
  return validationError(
    `The operation cannot be completed: Missing required value for the field '${fieldLabel}' (${field}).\n` +
      `Model: '${modelLabel}' (${model})\n` +
      '- create/update: a mandatory field is not set.\n' +
      '- delete: another model requires the record being deleted. If possible, archive it instead.',
  );
}

/** A unique index without a registered constraint message: Odoo shows psycopg2's own text. */
export function uniqueViolation(constraint: string, fields: readonly string[], values: readonly unknown[]): OdooServerError {
  const shown = values.map((v) => String(v)).join(', ');
  return validationError(
    `The operation cannot be completed: duplicate key value violates unique constraint "${constraint}"\n` +
      `DETAIL:  Key (${fields.join(', ')})=(${shown}) already exists.\n`,
  );
}

export function foreignKeyViolation(modelLabel: string, model: string, constraint: string): OdooServerError {
  return validationError(
    'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\n' +
      `Model: ${modelLabel} (${model})\nConstraint: ${constraint}\n`,
  );
}

export function databaseMissing(db: string): OdooServerError {
  return new OdooServerError(
    'psycopg2.OperationalError',
    `connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "${db}" does not exist\n`,
    500,
  );
}
