import { OdooServerError, accessError, httpError, pyRepr, typeError, valueError } from './errors';
import { isNull, type Orm } from './orm';
import {
  assignPickings,
  cancelMoves,
  cancelOrders,
  cancelPickings,
  confirmOrders,
  confirmPickings,
  markQuotationsSent,
  postMoves,
  resetMovesToDraft,
  resetOrdersToDraft,
  validatePickings,
} from './workflows';

export type Protocol = 'json2' | 'jsonrpc';

interface Param {
  name: string;
  required?: boolean;
  default?: unknown;
}

interface MethodSpec {
  /** Python class that defines the method, for TypeError texts. */
  owner: string;
  /** `@api.model` methods take no ids. */
  apiModel: boolean;
  params: Param[];
  /** `**kwargs` accepted; search_read forwards them to `_read_format`, which only knows `load`. */
  kwargs?: 'read_format' | 'any';
  models?: string[];
  /** The class per model when the same method name is defined on several models. */
  ownerByModel?: Record<string, string>;
  run: (call: BoundCall) => unknown;
}

export interface BoundCall {
  orm: Orm;
  model: string;
  ids: number[];
  args: Record<string, unknown>;
  protocol: Protocol;
  /** JSON-RPC create got a single dict: answer one id, not a list. */
  single: boolean;
}

type Workflow = (orm: Orm, ids: number[]) => unknown;

/** A workflow button without arguments, implemented per model (same name, different classes). */
function workflow(byModel: Record<string, [owner: string, run: Workflow]>): MethodSpec {
  const models = Object.keys(byModel);
  return {
    owner: byModel[models[0]][0],
    ownerByModel: Object.fromEntries(models.map((model) => [model, byModel[model][0]])),
    apiModel: false,
    params: [],
    models,
    run: ({ orm, model, ids }) => byModel[model][1](orm, ids),
  };
}

const p = (name: string, required = false, value: unknown = null): Param => ({ name, required, default: value });

const searchOptions = (args: Record<string, unknown>) => ({
  offset: args.offset as number,
  limit: args.limit as number | null,
  order: args.order as string | null,
});

const METHODS: Record<string, MethodSpec> = {
  search_read: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('domain', true), p('fields'), p('offset', false, 0), p('limit'), p('order')],
    kwargs: 'read_format',
    run: ({ orm, model, args }) => orm.searchRead(model, args.domain, args.fields, searchOptions(args), args.load ?? '_classic_read'),
  },
  search: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('domain', true), p('offset', false, 0), p('limit'), p('order')],
    run: ({ orm, model, args }) => orm.search(model, args.domain, searchOptions(args)),
  },
  search_count: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('domain', true), p('limit')],
    run: ({ orm, model, args }) => orm.count(model, args.domain, args.limit as number | null),
  },
  read: {
    owner: 'BaseModel',
    apiModel: false,
    params: [p('fields'), p('load', false, '_classic_read')],
    run: ({ orm, model, ids, args }) => orm.read(model, ids, args.fields, args.load),
  },
  create: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('vals_list', true)],
    run: (call) => {
      const { orm, model, args } = call;
      const list = Array.isArray(args.vals_list) ? args.vals_list : [args.vals_list];
      call.single = !Array.isArray(args.vals_list);
      return orm.create(model, list);
    },
  },
  write: {
    owner: 'BaseModel',
    apiModel: false,
    params: [p('vals', true)],
    run: ({ orm, model, ids, args }) => orm.write(model, ids, args.vals),
  },
  unlink: {
    owner: 'BaseModel',
    apiModel: false,
    params: [],
    run: ({ orm, model, ids }) => orm.unlink(model, ids),
  },
  fields_get: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('allfields'), p('attributes')],
    run: ({ orm, model, args }) => orm.fieldsGet(model, args.allfields, args.attributes),
  },
  name_search: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('name', false, ''), p('domain'), p('operator', false, 'ilike'), p('limit', false, 100)],
    run: ({ orm, model, args }) => orm.nameSearch(model, args.name, args.domain, args.operator, args.limit),
  },
  default_get: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('fields', true)],
    run: ({ orm, model, args }) => orm.defaultGet(model, args.fields),
  },
  read_group: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('domain', true), p('fields', true), p('groupby', true), p('offset', false, 0), p('limit'), p('orderby', false, false), p('lazy', false, true)],
    run: ({ orm, model, args }) =>
      orm.readGroup(model, args.domain, args.fields, args.groupby, { offset: args.offset as number, limit: args.limit as number | null }, args.lazy),
  },
  load: {
    owner: 'BaseModel',
    apiModel: true,
    params: [p('fields', true), p('data', true)],
    run: ({ orm, model, args }) => load(orm, model, args.fields, args.data),
  },
  message_post: {
    owner: 'MailThread',
    apiModel: false,
    params: [],
    kwargs: 'any',
    run: ({ orm, model, ids, args }) => messagePost(orm, model, ids, args),
  },
  action_confirm: workflow({ 'sale.order': ['SaleOrder', confirmOrders], 'stock.picking': ['StockPicking', confirmPickings] }),
  action_quotation_sent: workflow({ 'sale.order': ['SaleOrder', markQuotationsSent] }),
  action_cancel: workflow({ 'sale.order': ['SaleOrder', cancelOrders], 'stock.picking': ['StockPicking', cancelPickings] }),
  action_draft: workflow({ 'sale.order': ['SaleOrder', resetOrdersToDraft] }),
  action_post: workflow({ 'account.move': ['AccountMove', postMoves] }),
  button_draft: workflow({ 'account.move': ['AccountMove', resetMovesToDraft] }),
  button_cancel: workflow({ 'account.move': ['AccountMove', cancelMoves] }),
  action_assign: workflow({ 'stock.picking': ['StockPicking', assignPickings] }),
  button_validate: workflow({ 'stock.picking': ['StockPicking', validatePickings] }),
};

export function methodExists(model: string, method: string): boolean {
  const spec = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method] : undefined;
  return spec !== undefined && (!spec.models || spec.models.includes(model));
}

export function isApiModel(method: string): boolean {
  return METHODS[method]?.apiModel ?? false;
}

/** Checks a method can be called remotely at all; both protocols call this first. */
export function checkMethod(model: string, method: string, protocol: Protocol): void {
  if (method.startsWith('_')) {
    throw accessError(`Private methods (such as '${model}.${method}') cannot be called remotely.`);
  }
  if (!methodExists(model, method)) {
    const message = `The method '${model}.${method}' does not exist`;
    throw protocol === 'json2' ? httpError(404, message) : new OdooServerError('builtins.AttributeError', message, 500);
  }
}

function toIds(value: unknown): number[] {
  if (isNull(value)) return [];
  const list = Array.isArray(value) ? value : [value];
  for (const id of list) {
    if (typeof id !== 'number' || !Number.isInteger(id)) throw valueError(`Invalid record id ${pyRepr(id)}`);
  }
  return list as number[];
}

/** JSON-2: named arguments, ids in `ids`; binding errors are 422 like inspect.Signature.bind in Odoo. */
export function bindNamed(model: string, method: string, body: Record<string, unknown>): { ids: number[]; args: Record<string, unknown> } {
  const spec = METHODS[method];
  const { ids: rawIds, context: _context, ...named } = body;
  const ids = toIds(rawIds);
  if (spec.apiModel && ids.length > 0) throw httpError(422, `cannot call ${model}.${method} with ids`);
  const args = fill(spec, named, (name) => httpError(422, `got an unexpected keyword argument '${name}'`));
  const missing = spec.params.find((param) => param.required && !(param.name in named));
  if (missing) throw httpError(422, `missing a required argument: '${missing.name}'`);
  return { ids, args };
}

/** JSON-RPC execute_kw: positional `args` (ids first for record methods) plus `kwargs`. */
export function bindPositional(model: string, method: string, positional: unknown[], kwargs: Record<string, unknown>): { ids: number[]; args: Record<string, unknown> } {
  const spec = METHODS[method];
  const qualified = `${spec.ownerByModel?.[model] ?? spec.owner}.${method}()`;
  let rest = positional;
  let ids: number[] = [];
  if (!spec.apiModel) {
    if (positional.length === 0) throw new OdooServerError('builtins.IndexError', 'list index out of range', 500);
    ids = toIds(positional[0]);
    rest = positional.slice(1);
  }
  if (rest.length > spec.params.length && spec.kwargs !== 'any') {
    const min = spec.params.filter((x) => x.required).length + 1;
    const max = spec.params.length + 1;
    const range = min === max ? `${max}` : `from ${min} to ${max}`;
    throw typeError(`${qualified} takes ${range} positional arguments but ${rest.length + 1} were given`);
  }
  const named: Record<string, unknown> = {};
  rest.forEach((value, i) => {
    if (i < spec.params.length) named[spec.params[i].name] = value;
  });
  const { context: _context, ...kw } = kwargs;
  for (const [name, value] of Object.entries(kw)) {
    if (name in named) throw typeError(`${qualified} got multiple values for argument '${name}'`);
    named[name] = value;
  }
  const args = fill(spec, named, (name) => typeError(`${qualified} got an unexpected keyword argument '${name}'`));
  const missing = spec.params.find((param) => param.required && !(param.name in named));
  if (missing) throw typeError(`${qualified} missing 1 required positional argument: '${missing.name}'`);
  return { ids, args };
}

function fill(spec: MethodSpec, named: Record<string, unknown>, unexpected: (name: string) => OdooServerError): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const param of spec.params) args[param.name] = param.name in named ? named[param.name] : param.default;
  for (const [name, value] of Object.entries(named)) {
    if (spec.params.some((param) => param.name === name)) continue;
    if (spec.kwargs === 'any') args[name] = value;
    else if (spec.kwargs === 'read_format' && name === 'load') args.load = value;
    else if (spec.kwargs === 'read_format') throw typeError(`BaseModel._read_format() got an unexpected keyword argument '${name}'`);
    else throw unexpected(name);
  }
  return args;
}

export function runMethod(call: BoundCall, method: string): unknown {
  const result = METHODS[method].run(call);
  if (method === 'create' && call.protocol === 'jsonrpc' && call.single) return (result as number[])[0];
  return result;
}

// ---------------------------------------------------------------- model-specific methods

function messagePost(orm: Orm, model: string, ids: number[], args: Record<string, unknown>): number {
  if (ids.length !== 1) throw valueError(`Expected singleton: ${model}(${ids.join(', ')}${ids.length === 1 ? ',' : ''})`);
  orm.requireExisting(model, ids);
  const author = orm.row('res.users', orm.uid)?.partner_id ?? false;
  return orm.db.transaction(() =>
    orm.createOne('mail.message', {
      model,
      res_id: ids[0],
      body: typeof args.body === 'string' ? args.body : '',
      subject: typeof args.subject === 'string' ? args.subject : false,
      message_type: typeof args.message_type === 'string' ? args.message_type : 'notification',
      author_id: typeof args.author_id === 'number' ? args.author_id : author,
    }),
  );
}

// ---------------------------------------------------------------- load (import)

interface ImportMessage {
  type: 'error';
  message: string;
  record: number;
  rows: { from: number; to: number };
  field?: string;
}

function splitXmlid(xmlid: string): [string, string] {
  const dot = xmlid.indexOf('.');
  return dot > 0 ? [xmlid.slice(0, dot), xmlid.slice(dot + 1)] : ['__import__', xmlid];
}

function resolveXmlid(orm: Orm, xmlid: string): { dataId: number; model: string; resId: number } | undefined {
  const [module, name] = splitXmlid(xmlid);
  const holders = orm.table('ir.model.data').lookup('ir_model_data_module_name_uniq_index', [module, name]);
  const dataId = holders ? [...holders][0] : undefined;
  if (dataId === undefined) return undefined;
  const row = orm.row('ir.model.data', dataId);
  return row ? { dataId, model: String(row.model), resId: Number(row.res_id) } : undefined;
}

/** Converts one imported cell (always a string in Odoo's import) to a field value. */
function importValue(orm: Orm, model: string, column: string, cell: unknown): [string, unknown] {
  const def = orm.model(model);
  const [name, sub] = column.split('/');
  const field = def.fields[name];
  if (!field || (sub !== undefined && sub !== 'id' && sub !== '.id')) {
    throw valueError(`Unknown field ${pyRepr(column)} on model ${pyRepr(model)}`);
  }
  if (cell === '' || isNull(cell)) return [name, field.type === 'many2many' || field.type === 'one2many' ? [[5]] : false];
  const text = String(cell);
  const relation = field.relation;
  const refOne = (ref: string): number => {
    if (sub === '.id') return Number(ref);
    if (sub === 'id') {
      const found = resolveXmlid(orm, ref);
      if (!found || found.model !== relation || !orm.row(relation as string, found.resId)) {
        throw valueError(`No matching record found for external id '${ref}' in field '${field.string}'`);
      }
      return found.resId;
    }
    const matches = orm.nameSearch(relation as string, ref, [], '=ilike', 2);
    if (matches.length === 0) throw valueError(`No matching record found for name '${ref}' in field '${field.string}'`);
    return matches[0][0];
  };
  switch (field.type) {
    case 'many2one':
      return [name, refOne(text)];
    case 'many2many':
    case 'one2many':
      return [name, [[6, 0, text.split(',').map((s) => refOne(s.trim()))]]];
    case 'boolean':
      return [name, !['0', 'false', 'no', 'off', ''].includes(text.trim().toLowerCase())];
    case 'selection': {
      const option = field.selection?.find(([key, label]) => key === text || label.toLowerCase() === text.toLowerCase());
      if (!option) throw valueError(`Value '${text}' not found in selection field '${field.string}'`);
      return [name, option[0]];
    }
    default:
      return [name, cell];
  }
}

/** Odoo's import: rows of cells under `fields`; `id` is an external ID to create or update by. */
function load(orm: Orm, model: string, fields: unknown, data: unknown): { ids: number[] | false; messages: ImportMessage[]; nextrow: number } {
  orm.checkAccess(model, 'create');
  if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) throw valueError('load() expects a list of field names');
  if (!Array.isArray(data) || !data.every(Array.isArray)) throw valueError('load() expects a list of rows');
  const columns = fields as string[];
  const messages: ImportMessage[] = [];
  const ids: number[] = [];
  try {
    orm.db.transaction(() => {
      (data as unknown[][]).forEach((cells, index) => {
        try {
          ids.push(orm.db.transaction(() => importRow(orm, model, columns, cells)));
        } catch (err) {
          if (!(err instanceof OdooServerError)) throw err;
          messages.push({ type: 'error', message: err.message, record: index, rows: { from: index, to: index } });
        }
      });
      // Any error rolls the whole import back, as Odoo does.
      if (messages.length > 0) throw new Error('import failed');
    });
  } catch (err) {
    if (messages.length === 0) throw err;
    return { ids: false, messages, nextrow: 0 };
  }
  return { ids, messages, nextrow: 0 };
}

function importRow(orm: Orm, model: string, columns: string[], cells: unknown[]): number {
  const vals: Record<string, unknown> = {};
  let xmlid: string | undefined;
  let dbId: number | undefined;
  columns.forEach((column, i) => {
    const cell = cells[i];
    if (column === 'id') xmlid = cell === '' || isNull(cell) ? undefined : String(cell);
    else if (column === '.id') dbId = cell === '' || isNull(cell) ? undefined : Number(cell);
    else {
      const [name, value] = importValue(orm, model, column, cell);
      vals[name] = value;
    }
  });
  if (dbId !== undefined) {
    orm.requireExisting(model, [dbId]);
    orm.writeRows(model, [dbId], vals);
    return dbId;
  }
  if (xmlid !== undefined) {
    const found = resolveXmlid(orm, xmlid);
    if (found && found.model !== model) {
      throw valueError(`External ID '${xmlid}' already refers to a record of model '${found.model}'`);
    }
    if (found && orm.row(model, found.resId)) {
      orm.writeRows(model, [found.resId], vals);
      return found.resId;
    }
    const id = orm.createOne(model, vals);
    const [module, name] = splitXmlid(xmlid);
    if (found) orm.writeRows('ir.model.data', [found.dataId], { res_id: id });
    else orm.createOne('ir.model.data', { module, name, model, res_id: id });
    return id;
  }
  return orm.createOne(model, vals);
}
