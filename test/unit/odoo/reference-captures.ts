/**
 * Error answers of a real Odoo 19.0 server, from /work/shared/odoo-reference/README.md (name, message, status and
 * body shape exact; `debug` shortened to a traceback of the same form), plus the proxy answers seen in front of it.
 */
import type { OdooErrorKind } from '../../../nodes/lib/odoo';

export const TRACEBACK = `Traceback (most recent call last):\n${'  File "/opt/odoo/odoo/http.py", line 2134, in _serve_db\n    return service_model.retrying(self._serve_ir_http, self.env)\n'.repeat(40)}odoo.exceptions.Error: end of traceback`;

export interface Json2Row {
  case: string;
  status: number;
  headers?: Record<string, string>;
  /** JSON error body, or an HTML/text string sent as is. */
  body: Record<string, unknown> | string;
  kind: OdooErrorKind;
  odooName?: string;
  retryable: boolean;
  retryAfterMs?: number;
}

const odoo = (name: string, message: string, extra: unknown[] = []): Record<string, unknown> => ({
  name,
  message,
  arguments: [message, ...extra],
  context: {},
  debug: TRACEBACK,
});

const ACCESS_READ =
  "You are not allowed to access 'System Parameter' (ir.config_parameter) records.\n\nThis operation is allowed for the following groups:\n\t- Role / Administrator\n\nContact your administrator to request access if necessary.";
const MISSING = 'Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)';
const NOT_NULL =
  "The operation cannot be completed: Missing required value for the field 'Customer' (partner_id).\nModel: 'Sales Order' (sale.order)\n- create/update: a mandatory field is not set.";

export const JSON2_ERROR_ROWS: Json2Row[] = [
  { case: 'wrong API key', status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: odoo('werkzeug.exceptions.Unauthorized', 'Invalid apikey', [401]), kind: 'auth', retryable: false },
  {
    case: 'no Authorization header',
    status: 401,
    headers: { 'WWW-Authenticate': 'Bearer' },
    body: odoo('werkzeug.exceptions.Unauthorized', 'User not authenticated, use an API Key with a Bearer Authorization header.', [401]),
    kind: 'auth',
    retryable: false,
  },
  { case: 'AccessError read', status: 403, body: odoo('odoo.exceptions.AccessError', ACCESS_READ), kind: 'access', retryable: false },
  {
    case: 'AccessError write res.company',
    status: 403,
    body: odoo('odoo.exceptions.AccessError', "You are not allowed to modify 'Companies' (res.company) records."),
    kind: 'access',
    retryable: false,
  },
  {
    case: 'private method',
    status: 403,
    body: odoo('odoo.exceptions.AccessError', "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely."),
    kind: 'access',
    retryable: false,
  },
  { case: 'MissingError on write/unlink/create', status: 404, body: odoo('odoo.exceptions.MissingError', MISSING), kind: 'missing', retryable: false },
  { case: 'wrong model', status: 404, body: odoo('werkzeug.exceptions.NotFound', "the model 'res.partnerx' does not exist", [404]), kind: 'not_found', retryable: false },
  { case: 'wrong method', status: 404, body: odoo('werkzeug.exceptions.NotFound', "The method 'res.partner.no_such_method' does not exist", [404]), kind: 'not_found', retryable: false },
  { case: 'GET or bare /json/2', status: 404, body: odoo('werkzeug.exceptions.NotFound', 'Did you mean POST /json/2/<model>/<method>?', [404]), kind: 'not_found', retryable: false },
  { case: 'ValidationError', status: 422, body: odoo('odoo.exceptions.ValidationError', 'The operation cannot be completed: Contacts require a name'), kind: 'validation', retryable: false },
  { case: 'NOT NULL', status: 422, body: odoo('odoo.exceptions.ValidationError', NOT_NULL), kind: 'validation', retryable: false },
  {
    case: 'UserError',
    status: 422,
    body: odoo('odoo.exceptions.UserError', 'You cannot delete the admin user because it is utilized in various places (such as security configurations,...). Instead, archive it.'),
    kind: 'user',
    retryable: false,
  },
  { case: 'ids to an @api.model method', status: 422, body: odoo('werkzeug.exceptions.UnprocessableEntity', 'cannot call res.partner.search_read with ids', [422]), kind: 'validation', retryable: false },
  { case: 'missing required argument', status: 422, body: odoo('werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'domain'", [422]), kind: 'validation', retryable: false },
  {
    case: 'invalid JSON body',
    status: 400,
    body: odoo('werkzeug.exceptions.BadRequest', 'could not parse the body as json: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)', [400]),
    kind: 'validation',
    retryable: false,
  },
  { case: 'bad domain field', status: 500, body: odoo('builtins.ValueError', "Invalid field res.partner.nofield in condition ('nofield', '=', 1)"), kind: 'server', retryable: false },
  { case: 'bad domain operator', status: 500, body: odoo('builtins.ValueError', "Invalid operator in condition ('name', '~~', 'x')"), kind: 'server', retryable: false },
  { case: 'domain not a list', status: 500, body: odoo('builtins.TypeError', "Domain() invalid argument type for domain: 'garbage'"), kind: 'server', retryable: false },
  { case: 'unknown field in fields', status: 500, body: odoo('builtins.ValueError', "Invalid field 'nofield' on 'res.partner'"), kind: 'server', retryable: false },
  { case: 'unexpected kwarg', status: 500, body: odoo('builtins.TypeError', "BaseModel._read_format() got an unexpected keyword argument 'bogus'"), kind: 'server', retryable: false },
  {
    case: 'text/plain content type (HTML)',
    status: 415,
    body: "<!doctype html>\n<html lang=en>\n<title>415 Unsupported Media Type</title>\n<h1>Unsupported Media Type</h1>\n<p>Request inferred type is compatible with ['http'] but '/json/2/<__model__>/<__method__>' is type='json2'.</p>\n",
    kind: 'protocol',
    retryable: false,
  },
  {
    case: 'unknown X-Odoo-Database (HTML)',
    status: 404,
    body: '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>\n',
    kind: 'not_found',
    retryable: false,
  },
  {
    case: 'serialization failure',
    status: 500,
    body: odoo('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update'),
    kind: 'concurrency',
    retryable: true,
  },
  {
    case: 'unique violation',
    status: 500,
    body: odoo('psycopg2.errors.UniqueViolation', 'duplicate key value violates unique constraint "sale_order_client_order_ref_uniq"'),
    kind: 'validation',
    retryable: false,
  },
  { case: 'proxy 429 with Retry-After seconds', status: 429, headers: { 'Retry-After': '2' }, body: '<html><body>Too Many Requests</body></html>', kind: 'rate_limited', retryable: true, retryAfterMs: 2000 },
  { case: 'proxy 502 HTML', status: 502, body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>', kind: 'unavailable', retryable: true },
  { case: 'proxy 503 HTML with Retry-After', status: 503, headers: { 'Retry-After': '5' }, body: '<html><body><h1>503 Service Unavailable</h1></body></html>', kind: 'unavailable', retryable: true, retryAfterMs: 5000 },
  { case: 'proxy 504 HTML', status: 504, body: '<html><body><h1>504 Gateway Time-out</h1></body></html>', kind: 'unavailable', retryable: true },
  { case: 'other 500 without a name', status: 500, body: '<html><body>Internal Server Error</body></html>', kind: 'server', retryable: false },
];

export interface RpcRow {
  case: string;
  code?: number;
  data: { name: string; message: string; debug?: string };
  kind: OdooErrorKind;
  retryable: boolean;
}

export const JSONRPC_ERROR_ROWS: RpcRow[] = [
  { case: 'AccessDenied (wrong password in execute_kw)', data: { name: 'odoo.exceptions.AccessDenied', message: 'Access Denied', debug: 'odoo.exceptions.AccessDenied: Access Denied\n' }, kind: 'auth', retryable: false },
  {
    case: 'unknown db',
    data: { name: 'psycopg2.OperationalError', message: 'connection to server at "127.0.0.1", port 5439 failed: FATAL:  database "nodb" does not exist\n' },
    kind: 'not_found',
    retryable: false,
  },
  { case: 'AccessError', data: { name: 'odoo.exceptions.AccessError', message: ACCESS_READ }, kind: 'access', retryable: false },
  { case: 'MissingError', data: { name: 'odoo.exceptions.MissingError', message: MISSING }, kind: 'missing', retryable: false },
  { case: 'ValidationError recursion', data: { name: 'odoo.exceptions.ValidationError', message: 'You cannot create recursive Partner hierarchies.' }, kind: 'validation', retryable: false },
  { case: 'ValidationError NOT NULL', data: { name: 'odoo.exceptions.ValidationError', message: NOT_NULL }, kind: 'validation', retryable: false },
  { case: 'wrong model', data: { name: 'odoo.exceptions.UserError', message: "Object res.partnerx doesn't exist" }, kind: 'not_found', retryable: false },
  { case: 'wrong method', data: { name: 'builtins.AttributeError', message: "The method 'res.partner.no_such_method' does not exist" }, kind: 'not_found', retryable: false },
  { case: 'private method', data: { name: 'odoo.exceptions.AccessError', message: "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely." }, kind: 'access', retryable: false },
  { case: 'bad domain field', data: { name: 'builtins.ValueError', message: "Invalid field res.partner.nofield in condition ('nofield', '=', 1)" }, kind: 'server', retryable: false },
  { case: 'bad domain operator', data: { name: 'builtins.ValueError', message: "Invalid operator in condition ('name', '~~', 'x')" }, kind: 'server', retryable: false },
  { case: 'UserError', data: { name: 'odoo.exceptions.UserError', message: 'You cannot delete the admin user because it is utilized in various places (such as security configurations,...). Instead, archive it.' }, kind: 'user', retryable: false },
  { case: 'unknown service', data: { name: 'builtins.KeyError', message: 'nosvc' }, kind: 'server', retryable: false },
  { case: 'serialization failure', data: { name: 'psycopg2.errors.SerializationFailure', message: 'could not serialize access due to concurrent update' }, kind: 'concurrency', retryable: true },
  { case: 'older series code 200', code: 200, data: { name: 'odoo.exceptions.ValidationError', message: 'Contacts require a name' }, kind: 'validation', retryable: false },
  { case: 'session expired code 100', code: 100, data: { name: 'odoo.http.SessionExpiredException', message: 'Session expired' }, kind: 'auth', retryable: false },
];
