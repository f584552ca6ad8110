import { compileDomain } from './domain';
import type { Database, Table } from './database';
import {
  OdooServerError,
  accessError,
  foreignKeyViolation,
  missingError,
  notNullError,
  pyRepr,
  typeError,
  valueError,
} from './errors';
import type { FieldDef, ModelDef, Row } from './types';

export type Operation = 'read' | 'write' | 'create' | 'unlink';

/** Models only an administrator may touch, per operation (the demo user gets Odoo's AccessError). */
const ADMIN_ONLY: Record<string, { description: string; ops: Operation[] }> = {
  'ir.config_parameter': { description: 'System Parameter', ops: ['read', 'write', 'create', 'unlink'] },
  'res.company': { description: 'Companies', ops: ['write', 'create', 'unlink'] },
};
const OPERATION_WORDS: Record<Operation, string> = { read: 'access', write: 'modify', create: 'create', unlink: 'delete' };
export const ADMIN_UIDS = new Set([1, 2]);
const MAGIC = new Set(['id', 'display_name', 'create_date', 'create_uid', 'write_date', 'write_uid']);
const ORDER_SYNTAX = /^(\s*([a-z0-9:_]+|"[a-z0-9:_]+")(\.id)?(\s+(desc|asc))?(\s+(nulls\s+(first|last)))?\s*(,|$))+(?<!,)$/i;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export const isNull = (v: unknown): boolean => v === false || v === null || v === undefined;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface SearchOptions {
  offset?: number;
  limit?: number | null;
  order?: string | null;
}

interface OrderKey {
  get: (row: Row) => unknown;
  desc: boolean;
  nullsFirst: boolean;
}

interface Reference {
  model: string;
  field: string;
  def: FieldDef;
}

/** The ORM as seen by one call: a database, the calling user and the call's context. */
export class Orm {
  private readonly getters = new Map<string, (row: Row) => unknown>();

  constructor(
    readonly db: Database,
    readonly uid: number,
    readonly context: Record<string, unknown>,
    readonly registry: Map<string, ModelDef>,
  ) {}

  model(name: string): ModelDef {
    const def = this.registry.get(name);
    if (!def) throw new OdooServerError('odoo.exceptions.UserError', `Object ${name} doesn't exist`, 404);
    return def;
  }

  table(name: string): Table {
    return this.db.table(name);
  }

  row(model: string, id: number): Row | undefined {
    return this.db.table(model).rows.get(id);
  }

  /** Raw value of a field: stored, computed, or one2many ids from the comodel's index. */
  getter(model: string, field: string): (row: Row) => unknown {
    const key = `${model}.${field}`;
    let get = this.getters.get(key);
    if (get) return get;
    const def = this.model(model);
    const spec = def.fields[field];
    if (field === 'display_name') get = (row) => def.displayName(this, row);
    else if (spec.compute) {
      const compute = spec.compute;
      get = (row) => compute(this, row);
    } else if (spec.type === 'one2many') {
      const comodel = this.table(spec.relation as string);
      const inverse = spec.inverseName as string;
      get = (row) => [...(comodel.referencing(inverse, row.id) ?? [])].sort((a, b) => a - b);
    } else get = (row) => row[field];
    this.getters.set(key, get);
    return get;
  }

  displayName(model: string, id: number): string {
    const row = this.row(model, id);
    return row ? this.model(model).displayName(this, row) : '';
  }

  /** `child_of`: the records and everything below them through parent_id. */
  descendants(model: string, roots: number[]): Set<number> {
    const result = new Set(roots);
    const table = this.table(model);
    if (!table.relIndex.has('parent_id')) return result;
    const queue = [...roots];
    while (queue.length > 0) {
      const id = queue.pop() as number;
      for (const child of table.referencing('parent_id', id) ?? []) {
        if (!result.has(child)) {
          result.add(child);
          queue.push(child);
        }
      }
    }
    return result;
  }

  ancestors(model: string, roots: number[]): Set<number> {
    const result = new Set<number>();
    for (let id of roots) {
      while (typeof id === 'number' && !result.has(id)) {
        result.add(id);
        id = this.row(model, id)?.parent_id as number;
      }
    }
    return result;
  }

  checkAccess(model: string, op: Operation): void {
    const rule = ADMIN_ONLY[model];
    if (!rule || ADMIN_UIDS.has(this.uid) || !rule.ops.includes(op)) return;
    throw accessError(
      `You are not allowed to ${OPERATION_WORDS[op]} '${rule.description}' (${model}) records.\n\n` +
        'This operation is allowed for the following groups:\n\t- Role / Administrator\n\n' +
        'Contact your administrator to request access if necessary.',
    );
  }

  // ---------------------------------------------------------------- search

  search(model: string, domain: unknown, options: SearchOptions = {}): number[] {
    this.checkAccess(model, 'read');
    const rows = this.matching(model, domain, options);
    return rows.map((r) => r.id);
  }

  count(model: string, domain: unknown, limit?: number | null): number {
    this.checkAccess(model, 'read');
    const predicate = this.predicate(model, domain);
    let n = 0;
    for (const row of this.ordered(model)) {
      if (predicate(row)) {
        n += 1;
        if (limit && n >= limit) break;
      }
    }
    return n;
  }

  private predicate(model: string, domain: unknown): (row: Row) => boolean {
    const def = this.model(model);
    const compiled = compileDomain(this, model, domain);
    const visible = this.recordRule(def);
    if (def.fields.active && this.context.active_test !== false && !compiled.mentionsActive) {
      const inner = compiled.predicate;
      return (row) => row.active === true && visible(row) && inner(row);
    }
    const inner = compiled.predicate;
    return (row) => visible(row) && inner(row);
  }

  /** The model's record rule for this user (see ModelDef.ownRecordsField). */
  private recordRule(def: ModelDef): (row: Row) => boolean {
    const field = def.ownRecordsField;
    if (!field || ADMIN_UIDS.has(this.uid)) return () => true;
    return (row) => row[field] === this.uid;
  }

  /** Rows in id order; a rollback can re-insert out of order, so restore the order lazily. */
  private ordered(model: string): Iterable<Row> {
    const table = this.table(model);
    let previous = 0;
    let sorted = true;
    for (const id of table.rows.keys()) {
      if (id < previous) {
        sorted = false;
        break;
      }
      previous = id;
    }
    if (!sorted) {
      const rows = [...table.rows.values()].sort((a, b) => a.id - b.id);
      table.rows.clear();
      for (const row of rows) table.rows.set(row.id, row);
    }
    return table.rows.values();
  }

  private matching(model: string, domain: unknown, options: SearchOptions): Row[] {
    const predicate = this.predicate(model, domain);
    const offset = toCount(options.offset, 'offset') ?? 0;
    // Odoo only adds LIMIT when the limit is truthy: 0 means no limit.
    const limit = toCount(options.limit, 'limit') || undefined;
    const keys = this.orderKeys(model, options.order);
    const found: Row[] = [];
    if (!keys) {
      // Natural id order: stop as soon as the page is full.
      const wanted = limit === undefined ? Infinity : offset + limit;
      for (const row of this.ordered(model)) {
        if (found.length >= wanted) break;
        if (predicate(row)) found.push(row);
      }
      return found.slice(offset);
    }
    for (const row of this.ordered(model)) if (predicate(row)) found.push(row);
    const decorated = found.map((row) => ({ row, values: keys.map((k) => sortable(k.get(row))) }));
    decorated.sort((a, b) => {
      for (let i = 0; i < keys.length; i += 1) {
        const c = compareKeys(a.values[i], b.values[i], keys[i]);
        if (c !== 0) return c;
      }
      return a.row.id - b.row.id;
    });
    const page = limit === undefined ? decorated.slice(offset) : decorated.slice(offset, offset + limit);
    return page.map((d) => d.row);
  }

  /** null means plain `id asc`, which needs no sort. */
  private orderKeys(model: string, order: string | null | undefined): OrderKey[] | null {
    const def = this.model(model);
    const spec = typeof order === 'string' && order.trim() !== '' ? order : def.order;
    if (!ORDER_SYNTAX.test(spec)) {
      throw valueError(
        `Invalid "order" specified (${spec}). A valid "order" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)`,
      );
    }
    const keys: OrderKey[] = [];
    for (const part of spec.split(',')) {
      const words = part.trim().split(/\s+/);
      const name = words[0].replace(/"/g, '').replace(/\.id$/, '');
      const field = def.fields[name];
      if (!field) throw valueError(`Invalid field '${name}' on model '${model}'`);
      const desc = (words[1] ?? '').toLowerCase() === 'desc';
      const nulls = words.findIndex((w) => w.toLowerCase() === 'nulls');
      const nullsFirst = nulls >= 0 ? words[nulls + 1].toLowerCase() === 'first' : desc;
      const raw = this.getter(model, name);
      const get =
        field.type === 'many2one'
          ? (row: Row) => (isNull(raw(row)) ? false : this.displayName(field.relation as string, raw(row) as number))
          : raw;
      keys.push({ get, desc, nullsFirst });
      if (name === 'id' && keys.length === 1 && !desc) return null;
    }
    return keys;
  }

  // ---------------------------------------------------------------- read

  /** Field names to read, validated; none given means every field. */
  resolveFields(model: string, fields: unknown): string[] {
    const def = this.model(model);
    if (fields === null || fields === undefined || fields === false || (Array.isArray(fields) && fields.length === 0)) {
      return Object.keys(def.fields).filter((f) => f !== 'id');
    }
    const list = Array.isArray(fields) ? fields : [fields];
    for (const name of list) {
      if (typeof name !== 'string' || !def.fields[name]) throw valueError(`Invalid field ${pyRepr(name)} on ${pyRepr(model)}`);
    }
    return (list as string[]).filter((f) => f !== 'id');
  }

  read(model: string, ids: number[], fields?: unknown, load: unknown = '_classic_read'): Record<string, unknown>[] {
    this.checkAccess(model, 'read');
    const names = this.resolveFields(model, fields);
    const table = this.table(model);
    const visible = this.recordRule(this.model(model));
    const result: Record<string, unknown>[] = [];
    for (const id of ids) {
      const row = table.rows.get(id);
      if (row && visible(row)) result.push(this.format(model, row, names, load));
    }
    return result;
  }

  searchRead(model: string, domain: unknown, fields: unknown, options: SearchOptions, load: unknown): Record<string, unknown>[] {
    this.checkAccess(model, 'read');
    const names = this.resolveFields(model, fields);
    return this.matching(model, domain, options).map((row) => this.format(model, row, names, load));
  }

  format(model: string, row: Row, names: string[], load: unknown): Record<string, unknown> {
    const def = this.model(model);
    const out: Record<string, unknown> = { id: row.id };
    for (const name of names) out[name] = this.formatValue(def.fields[name], this.getter(model, name)(row), load);
    return out;
  }

  formatValue(field: FieldDef, raw: unknown, load: unknown = '_classic_read'): unknown {
    switch (field.type) {
      case 'many2one':
        if (isNull(raw)) return false;
        return load === '_classic_read' ? [raw, this.displayName(field.relation as string, raw as number)] : raw;
      case 'one2many':
      case 'many2many':
        return Array.isArray(raw) ? [...raw] : [];
      case 'integer':
      case 'float':
      case 'monetary':
      case 'many2one_reference':
        return isNull(raw) ? 0 : raw;
      case 'boolean':
        return Boolean(raw);
      default:
        return isNull(raw) ? false : raw;
    }
  }

  // ---------------------------------------------------------------- create / write / unlink

  create(model: string, valsList: unknown[]): number[] {
    this.checkAccess(model, 'create');
    return this.db.transaction(() => valsList.map((vals) => this.createOne(model, vals)));
  }

  /** Inserts one record; `explicitId` is for seeding only. */
  createOne(model: string, vals: unknown, explicitId?: number): number {
    const def = this.model(model);
    if (!isObject(vals)) throw typeError(`create() expects dicts of field values, got ${pyRepr(vals)}`);
    this.checkKeys(def, vals);
    const row = { id: 0 } as Row;
    const relations: Array<[string, FieldDef, unknown]> = [];
    for (const [name, field] of Object.entries(def.fields)) {
      if (MAGIC.has(name) || field.compute || field.type === 'one2many') continue;
      if (name in vals) continue;
      row[name] = field.default ? this.convert(model, name, field, field.default(this)) : emptyValue(field);
    }
    for (const [name, value] of Object.entries(vals)) {
      const field = def.fields[name];
      if (MAGIC.has(name) || field.compute) continue;
      if (field.type === 'one2many' || field.type === 'many2many') {
        if (field.type === 'many2many') row[name] = [];
        relations.push([name, field, value]);
      } else row[name] = this.convert(model, name, field, value);
    }
    const now = this.db.now();
    Object.assign(row, { create_date: now, write_date: now, create_uid: this.uid, write_uid: this.uid });
    def.prepareCreate?.(this, row, vals);
    this.checkRow(def, row, Object.keys(def.fields));
    row.id = this.db.allocateId(model, explicitId);
    this.db.insert(model, row);
    for (const [name, field, value] of relations) this.applyCommands(model, row.id, name, field, value);
    def.check?.(this, row);
    this.db.noteChange({ op: 'create', model, id: row.id, fields: Object.keys(vals) });
    return row.id;
  }

  write(model: string, ids: number[], vals: unknown): true {
    this.checkAccess(model, 'write');
    this.requireExisting(model, ids);
    return this.db.transaction(() => this.writeRows(model, ids, vals));
  }

  writeRows(model: string, ids: number[], vals: unknown): true {
    const def = this.model(model);
    if (!isObject(vals)) throw typeError(`write() expects a dict of field values, got ${pyRepr(vals)}`);
    this.checkKeys(def, vals);
    const changes: Record<string, unknown> = {};
    const relations: Array<[string, FieldDef, unknown]> = [];
    for (const [name, value] of Object.entries(vals)) {
      const field = def.fields[name];
      if (MAGIC.has(name) || field.compute) continue;
      if (field.type === 'one2many' || field.type === 'many2many') relations.push([name, field, value]);
      else changes[name] = this.convert(model, name, field, value);
    }
    for (const id of ids) {
      const row = this.row(model, id);
      if (!row) continue;
      const merged = { ...row, ...changes } as Row;
      this.checkRow(def, merged, Object.keys(changes));
      const before = { ...row };
      this.db.update(model, id, { ...changes, write_date: this.db.now(), write_uid: this.uid });
      for (const [name, field, value] of relations) this.applyCommands(model, id, name, field, value);
      def.check?.(this, row);
      this.db.noteChange({ op: 'write', model, id, fields: Object.keys(vals), before });
    }
    return true;
  }

  unlink(model: string, ids: number[]): true {
    this.checkAccess(model, 'unlink');
    this.requireExisting(model, ids);
    this.db.transaction(() => this.unlinkRows(model, ids));
    return true;
  }

  unlinkRows(model: string, ids: number[]): void {
    const def = this.model(model);
    const rows = ids.map((id) => this.row(model, id)).filter((r): r is Row => r !== undefined);
    if (rows.length === 0) return;
    def.beforeUnlink?.(this, rows);
    for (const ref of this.references(model)) {
      const table = this.table(ref.model);
      for (const row of rows) {
        const holders = table.referencing(ref.field, row.id);
        if (!holders || holders.size === 0) continue;
        const holderIds = [...holders];
        if (ref.def.type === 'many2many') {
          for (const holder of holderIds) {
            const current = (table.rows.get(holder)?.[ref.field] as number[]) ?? [];
            this.db.update(ref.model, holder, { [ref.field]: current.filter((x) => x !== row.id) });
          }
          continue;
        }
        const ondelete = ref.def.ondelete ?? (ref.def.required ? 'restrict' : 'set null');
        if (ondelete === 'cascade') this.unlinkRows(ref.model, holderIds);
        else if (ondelete === 'set null') for (const holder of holderIds) this.db.update(ref.model, holder, { [ref.field]: false });
        else {
          const refDef = this.model(ref.model);
          throw foreignKeyViolation(refDef.description, ref.model, `${ref.model.replace(/\./g, '_')}_${ref.field}_fkey`);
        }
      }
    }
    // Like BaseModel.unlink: external IDs of deleted records go too.
    const data = this.table('ir.model.data');
    for (const row of rows) {
      for (const dataId of [...(data.lookup('ir_model_data_model_res_id_index', [model, row.id]) ?? [])]) {
        this.db.remove('ir.model.data', dataId);
      }
      this.db.remove(model, row.id);
    }
  }

  requireExisting(model: string, ids: number[]): void {
    const table = this.table(model);
    const missing = ids.filter((id) => !table.rows.has(id));
    if (missing.length > 0) throw missingError(model, missing, this.uid);
  }

  private references(model: string): Reference[] {
    const refs: Reference[] = [];
    for (const [name, def] of this.registry) {
      for (const [field, spec] of Object.entries(def.fields)) {
        if ((spec.type === 'many2one' || spec.type === 'many2many') && spec.relation === model && !MAGIC.has(field) && !spec.compute) {
          refs.push({ model: name, field, def: spec });
        }
      }
    }
    return refs;
  }

  private checkKeys(def: ModelDef, vals: Record<string, unknown>): void {
    for (const key of Object.keys(vals)) {
      if (!def.fields[key]) throw valueError(`Invalid field ${pyRepr(key)} on model ${pyRepr(def.name)}`);
    }
  }

  /** NOT NULL columns, then foreign keys: what Postgres would refuse on INSERT/UPDATE. */
  private checkRow(def: ModelDef, row: Row, names: string[]): void {
    for (const name of names) {
      const field = def.fields[name];
      if (!field || MAGIC.has(name) || field.compute) continue;
      if (field.required && field.type !== 'one2many' && field.type !== 'many2many' && field.type !== 'boolean' && isNull(row[name])) {
        throw notNullError(field.string, name, def.description, def.name);
      }
      if (field.type === 'many2one' && typeof row[name] === 'number') this.requireExisting(field.relation as string, [row[name] as number]);
      if (field.type === 'many2many' && Array.isArray(row[name])) this.requireExisting(field.relation as string, row[name] as number[]);
    }
  }

  /** Python-side conversion of a written value to what the column stores. */
  convert(model: string, name: string, field: FieldDef, value: unknown): unknown {
    const wrong = (): OdooServerError => valueError(`Wrong value for ${model}.${name}: ${pyRepr(value)}`);
    if (field.type === 'boolean') return Boolean(value);
    if (field.type === 'integer' || field.type === 'many2one_reference') {
      if (isNull(value)) return 0;
      const n = typeof value === 'string' ? Number(value.trim()) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw valueError(`invalid literal for int() with base 10: ${pyRepr(value)}`);
      return Math.trunc(n);
    }
    if (field.type === 'float' || field.type === 'monetary') {
      if (isNull(value)) return 0;
      const n = typeof value === 'string' ? Number(value.trim()) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw valueError(`could not convert string to float: ${pyRepr(value)}`);
      return n;
    }
    if (isNull(value)) return false;
    switch (field.type) {
      case 'many2one':
        if (typeof value === 'number' && Number.isInteger(value)) return value;
        throw wrong();
      case 'selection':
        if (!field.selection?.some(([key]) => key === value)) throw wrong();
        return value;
      case 'date': {
        const text = String(value).slice(0, 10);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw valueError(`time data ${pyRepr(value)} does not match format '%Y-%m-%d'`);
        return text;
      }
      case 'datetime': {
        const text = String(value).length === 10 ? `${String(value)} 00:00:00` : String(value);
        if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) {
          throw valueError(`time data ${pyRepr(value)} does not match format '%Y-%m-%d %H:%M:%S'`);
        }
        return text;
      }
      default:
        if (typeof value === 'string') return value;
        if (typeof value === 'number') return String(value);
        throw wrong();
    }
  }

  /** x2many values: command lists ([0,0,vals], [1,id,vals], [2,id], [3,id], [4,id], [5], [6,0,ids]), ids or dicts. */
  private applyCommands(model: string, id: number, name: string, field: FieldDef, value: unknown): void {
    if (isNull(value)) return;
    if (!Array.isArray(value)) throw valueError(`Wrong value for ${model}.${name}: ${pyRepr(value)}`);
    const comodel = field.relation as string;
    const o2m = field.type === 'one2many';
    const inverse = field.inverseName as string;
    const current = (): number[] => this.getter(model, name)(this.row(model, id) as Row) as number[];
    const setLinks = (ids: number[]): void => {
      this.requireExisting(comodel, ids);
      this.db.update(model, id, { [name]: [...new Set(ids)] });
    };
    const detach = (ids: number[]): void => {
      if (ids.length === 0) return;
      const inverseDef = this.model(comodel).fields[inverse];
      if (inverseDef.ondelete === 'cascade') this.unlinkRows(comodel, ids);
      else this.writeRows(comodel, ids, { [inverse]: false });
    };
    const plainIds = value.every((v) => typeof v === 'number');
    const commands = plainIds ? [[6, 0, value]] : value.map((v) => (isObject(v) ? [0, 0, v] : v));
    for (const command of commands) {
      if (!Array.isArray(command) || typeof command[0] !== 'number') throw valueError(`Invalid command ${pyRepr(command)} for ${model}.${name}`);
      const [code, target, payload] = command as [number, unknown, unknown];
      const targetId = target as number;
      switch (code) {
        case 0: {
          const created = this.createOne(comodel, o2m ? { ...(payload as object), [inverse]: id } : payload);
          if (!o2m) setLinks([...current(), created]);
          break;
        }
        case 1:
          this.requireExisting(comodel, [targetId]);
          this.writeRows(comodel, [targetId], payload);
          break;
        case 2:
          this.requireExisting(comodel, [targetId]);
          this.unlinkRows(comodel, [targetId]);
          break;
        case 3:
          if (o2m) detach(current().filter((x) => x === targetId));
          else setLinks(current().filter((x) => x !== targetId));
          break;
        case 4:
          this.requireExisting(comodel, [targetId]);
          if (o2m) this.writeRows(comodel, [targetId], { [inverse]: id });
          else setLinks([...current(), targetId]);
          break;
        case 5:
          if (o2m) detach(current());
          else setLinks([]);
          break;
        case 6: {
          const wanted = Array.isArray(payload) ? (payload as number[]) : [];
          this.requireExisting(comodel, wanted);
          if (o2m) {
            detach(current().filter((x) => !wanted.includes(x)));
            const toLink = wanted.filter((x) => this.row(comodel, x)?.[inverse] !== id);
            if (toLink.length > 0) this.writeRows(comodel, toLink, { [inverse]: id });
          } else setLinks(wanted);
          break;
        }
        default:
          throw valueError(`Invalid command ${pyRepr(command)} for ${model}.${name}`);
      }
    }
  }

  // ---------------------------------------------------------------- introspection and helpers

  fieldsGet(model: string, allfields: unknown, attributes: unknown): Record<string, Record<string, unknown>> {
    const def = this.model(model);
    const wanted = Array.isArray(allfields) && allfields.length > 0 ? new Set(allfields) : null;
    const attrs = Array.isArray(attributes) && attributes.length > 0 ? new Set(attributes) : null;
    const result: Record<string, Record<string, unknown>> = {};
    for (const [name, field] of Object.entries(def.fields)) {
      if (wanted && !wanted.has(name)) continue;
      const stored = !field.compute && field.type !== 'one2many' && name !== 'display_name';
      const full: Record<string, unknown> = {
        type: field.type,
        string: field.string,
        help: field.help,
        required: Boolean(field.required),
        readonly: Boolean(field.readonly || field.compute || MAGIC.has(name)),
        store: stored || field.type === 'one2many',
        searchable: true,
        sortable: stored,
        groupable: stored,
        manual: false,
        depends: [],
        company_dependent: false,
        change_default: false,
        name,
        relation: field.relation,
        relation_field: field.inverseName,
        selection: field.selection,
      };
      const entry: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(full)) {
        if (value === undefined || (attrs && !attrs.has(key))) continue;
        entry[key] = value;
      }
      result[name] = entry;
    }
    return result;
  }

  nameSearch(model: string, name: unknown, domain: unknown, operator: unknown, limit: unknown): Array<[number, string]> {
    const def = this.model(model);
    const op = typeof operator === 'string' ? operator : 'ilike';
    const text = typeof name === 'string' ? name : '';
    let nameDomain: unknown[] = [];
    if (text !== '' || !['ilike', 'like', '=ilike', '=like'].includes(op)) {
      const leaves = def.nameSearchFields.map((f) => [f, op, text]);
      const joiner = op.startsWith('not') || op === '!=' ? '&' : '|';
      nameDomain = [...Array(leaves.length - 1).fill(joiner), ...leaves];
    }
    const extra = Array.isArray(domain) ? domain : [];
    const full = nameDomain.length && extra.length ? ['&', ...nameDomain, ...extra] : [...nameDomain, ...extra];
    const ids = this.search(model, full, { limit: isNull(limit) ? null : (limit as number) });
    return ids.map((id) => [id, this.displayName(model, id)]);
  }

  defaultGet(model: string, fields: unknown): Record<string, unknown> {
    const def = this.model(model);
    const result: Record<string, unknown> = {};
    for (const name of Array.isArray(fields) ? fields : []) {
      const field = def.fields[name as string];
      if (field?.default) result[name as string] = this.formatValue(field, this.convert(model, name as string, field, field.default(this)), false);
    }
    return result;
  }

  readGroup(model: string, domain: unknown, fields: unknown, groupby: unknown, options: SearchOptions, lazy: unknown): Record<string, unknown>[] {
    this.checkAccess(model, 'read');
    const def = this.model(model);
    const groupbys = (Array.isArray(groupby) ? groupby : [groupby]).filter((g): g is string => typeof g === 'string');
    if (groupbys.length === 0) throw valueError('read_group() requires at least one groupby field');
    const isLazy = lazy !== false;
    const used = isLazy ? groupbys.slice(0, 1) : groupbys;
    const specs = used.map((spec) => {
      const [fname, granularity] = spec.split(':');
      const field = def.fields[fname];
      if (!field) throw valueError(`Invalid field ${pyRepr(fname)} on model ${pyRepr(model)}`);
      return { spec, fname, field, granularity, get: this.getter(model, fname) };
    });
    const aggregates: Array<{ alias: string; get: (row: Row) => unknown; fn: string }> = [];
    for (const entry of Array.isArray(fields) ? fields : []) {
      if (typeof entry !== 'string' || entry === '__count') continue;
      const match = /^(\w+)(?::(\w+)(?:\((\w+)\))?)?$/.exec(entry);
      if (!match) throw valueError(`Invalid field specification ${pyRepr(entry)}`);
      const [, first, fn, inner] = match;
      const source = inner ?? first;
      const field = def.fields[source];
      if (!field) throw valueError(`Invalid field ${pyRepr(source)} on model ${pyRepr(model)}`);
      if (specs.some((s) => s.fname === source)) continue;
      const numeric = ['integer', 'float', 'monetary'].includes(field.type);
      if (!fn && !numeric) continue;
      aggregates.push({ alias: first, get: this.getter(model, source), fn: fn ?? 'sum' });
    }
    const groups = new Map<string, { keys: unknown[]; rows: Row[] }>();
    for (const row of this.matching(model, domain, {})) {
      const keys = specs.map((s) => groupKey(s.field, s.granularity, s.get(row)));
      const id = JSON.stringify(keys);
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { keys, rows: [] }));
      group.rows.push(row);
    }
    const sorted = [...groups.values()].sort((a, b) => {
      for (let i = 0; i < specs.length; i += 1) {
        const c = compareKeys(sortable(a.keys[i]), sortable(b.keys[i]), { desc: false, nullsFirst: false });
        if (c !== 0) return c;
      }
      return 0;
    });
    const offset = toCount(options.offset, 'offset') ?? 0;
    const limit = toCount(options.limit, 'limit');
    const page = limit === undefined ? sorted.slice(offset) : sorted.slice(offset, offset + limit);
    const baseDomain = Array.isArray(domain) ? domain : [];
    return page.map((group) => {
      const out: Record<string, unknown> = {};
      const groupDomain: unknown[] = [];
      specs.forEach((s, i) => {
        const key = group.keys[i];
        out[s.spec] = s.granularity ? groupLabel(key, s.granularity) : this.formatValue(s.field, key);
        groupDomain.push(...groupDomainTerms(s.fname, s.granularity, key));
      });
      if (isLazy) out[`${used[0].split(':')[0]}_count`] = group.rows.length;
      else out.__count = group.rows.length;
      for (const agg of aggregates) out[agg.alias] = aggregate(agg.fn, group.rows.map(agg.get));
      out.__domain = [...groupDomain, ...baseDomain];
      if (isLazy && groupbys.length > 1) out.__context = { group_by: groupbys.slice(1) };
      return out;
    });
  }
}

function emptyValue(field: FieldDef): unknown {
  if (field.type === 'boolean') return false;
  if (field.type === 'many2many') return [];
  if (['integer', 'float', 'monetary', 'many2one_reference'].includes(field.type)) return 0;
  return false;
}

function toCount(value: unknown, name: string): number | undefined {
  if (value === null || value === undefined || value === false) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw valueError(`Invalid ${name} ${pyRepr(value)}: expected a non-negative integer`);
  }
  return value;
}

/** Sort keys roughly as Postgres' en_US collation orders them: case-insensitive first. */
function sortable(value: unknown): unknown {
  if (isNull(value) && typeof value !== 'boolean') return null;
  if (typeof value === 'string') return value.toLowerCase() + '\u0000' + value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return value.length;
  return value;
}

function compareKeys(a: unknown, b: unknown, key: { desc: boolean; nullsFirst: boolean }): number {
  if (a === b) return 0;
  if (a === null) return key.nullsFirst ? -1 : 1;
  if (b === null) return key.nullsFirst ? 1 : -1;
  const c = (a as number | string) < (b as number | string) ? -1 : 1;
  return key.desc ? -c : c;
}

function groupKey(field: FieldDef, granularity: string | undefined, raw: unknown): unknown {
  if (field.type === 'boolean') return Boolean(raw);
  if (isNull(raw)) return false;
  if (!granularity || typeof raw !== 'string') return raw;
  if (granularity === 'year') return raw.slice(0, 4);
  if (granularity === 'month') return raw.slice(0, 7);
  return raw.slice(0, 10);
}

function groupLabel(key: unknown, granularity: string): unknown {
  if (typeof key !== 'string') return false;
  if (granularity === 'year') return key;
  const month = MONTHS[Number(key.slice(5, 7)) - 1];
  if (granularity === 'month') return `${month} ${key.slice(0, 4)}`;
  return `${Number(key.slice(8, 10))} ${month.slice(0, 3)} ${key.slice(0, 4)}`;
}

function groupDomainTerms(field: string, granularity: string | undefined, key: unknown): unknown[] {
  if (!granularity || typeof key !== 'string') return [[field, '=', key]];
  const start = granularity === 'year' ? `${key}-01-01` : granularity === 'month' ? `${key}-01` : key;
  const end = new Date(`${start}T00:00:00Z`);
  if (granularity === 'year') end.setUTCFullYear(end.getUTCFullYear() + 1);
  else if (granularity === 'month') end.setUTCMonth(end.getUTCMonth() + 1);
  else end.setUTCDate(end.getUTCDate() + 1);
  return ['&', [field, '>=', start], [field, '<', end.toISOString().slice(0, 10)]];
}

function aggregate(fn: string, values: unknown[]): unknown {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  switch (fn) {
    case 'count':
      return values.filter((v) => !isNull(v)).length;
    case 'count_distinct':
      return new Set(values.filter((v) => !isNull(v))).size;
    case 'min':
      return numbers.length ? Math.min(...numbers) : false;
    case 'max':
      return numbers.length ? Math.max(...numbers) : false;
    case 'avg':
      return numbers.length ? numbers.reduce((a, b) => a + b, 0) / numbers.length : false;
    default:
      return numbers.reduce((a, b) => a + b, 0);
  }
}
