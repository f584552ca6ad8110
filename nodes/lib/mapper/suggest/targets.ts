/**
 * What a mapping should produce, as a flat list of fields with their type: read from a JSON Schema (the
 * canonical business objects, `$ref`s followed) or from an Odoo model's `fields_get`.
 */
export type TargetType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'any';
export type TargetFormat = 'date' | 'date-time' | 'email' | 'uri' | 'country' | 'currency' | 'many2one';

export interface TargetField {
  /** Dotted path relative to the list it is in (`billingAddress.zip`; `sku` inside `lines`). */
  path: string;
  type: TargetType;
  format?: TargetFormat;
  enum?: unknown[];
  required: boolean;
  /** A monetary amount: mapped through the `currency` transform. */
  money?: boolean;
  /** Odoo's field label, compared like the name. */
  label?: string;
  /** Fields of each element of an array of objects (`lines`), mapped with `map`. */
  items?: TargetField[];
  /** Odoo targets: dates and times in Odoo's own format. */
  odoo?: boolean;
}

export interface Target {
  /** Words naming the object itself (`sales order`): in a source path they add nothing. */
  selfWords: string[];
  fields: TargetField[];
  /** The fields of one line of a document rather than the document itself. */
  lines?: boolean;
}

type Schema = Record<string, unknown>;

const COUNTRY_PATTERN = '^[A-Z]{2}$';
const CURRENCY_PATTERN = '^[A-Z]{3}$';
const MAX_DEPTH = 6;

/** `documents` are the schemas a `$ref` may name by `$id` (the bundled ones). */
export function targetFromJsonSchema(schema: Schema, documents: ReadonlyArray<Schema> = []): Target {
  const byId = new Map<string, Schema>();
  for (const doc of [...documents, schema]) if (typeof doc.$id === 'string') byId.set(doc.$id, doc);

  function resolve(node: Schema, base: Schema): [Schema, Schema] {
    let current = node;
    let doc = base;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
      const [id, pointer] = current.$ref.split('#');
      if (id) doc = byId.get(id) ?? doc;
      let found: unknown = doc;
      for (const part of (pointer ?? '').split('/').filter(Boolean)) found = (found as Schema | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      if (!found || typeof found !== 'object') break;
      // Annotations beside a $ref (a description) are kept; the referenced schema supplies the rest.
      const { $ref: _ref, ...beside } = current;
      current = { ...(found as Schema), ...beside };
    }
    return [current, doc];
  }

  function fieldsOf(node: Schema, base: Schema, prefix: string, depth: number, required: boolean): TargetField[] {
    const [object, doc] = resolve(node, base);
    const properties = (object.properties ?? {}) as Record<string, Schema>;
    const mandatory = new Set(Array.isArray(object.required) ? (object.required as string[]) : []);
    const out: TargetField[] = [];
    for (const [name, raw] of Object.entries(properties)) {
      const [prop, propDoc] = resolve(raw, doc);
      if (writtenByTarget(name, prop)) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      const isRequired = required && mandatory.has(name);
      const type = typeOf(prop);
      if (type === 'object' && depth < MAX_DEPTH) {
        out.push(...fieldsOf(prop, propDoc, path, depth + 1, isRequired));
        continue;
      }
      const field: TargetField = { path, type, required: isRequired };
      const format = formatOf(prop);
      if (format) field.format = format;
      if (Array.isArray(prop.enum)) field.enum = prop.enum;
      if (type === 'number' && isMoney(raw, name)) field.money = true;
      if (type === 'array' && prop.items && typeof prop.items === 'object') {
        const [items, itemsDoc] = resolve(prop.items as Schema, propDoc);
        if (typeOf(items) === 'object') field.items = fieldsOf(items, itemsDoc, '', depth + 1, true);
      }
      out.push(field);
    }
    return out;
  }

  const title = typeof schema.title === 'string' ? schema.title : '';
  return { selfWords: words(title), fields: fieldsOf(schema, schema, '', 0, true) };
}

/** The Odoo side's own fields (its database id, its read-only numbering) never come from a payload. */
function writtenByTarget(name: string, prop: Schema): boolean {
  return name === 'odooId' || (typeof prop.description === 'string' && /\(read only\)/i.test(prop.description));
}

function typeOf(prop: Schema): TargetType {
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type;
  if (type === 'string' || type === 'number' || type === 'integer' || type === 'boolean' || type === 'object' || type === 'array') return type;
  if (prop.properties) return 'object';
  if (Array.isArray(prop.enum) && prop.enum.every((v) => typeof v === 'string')) return 'string';
  return 'any';
}

function formatOf(prop: Schema): TargetFormat | undefined {
  if (prop.format === 'date' || prop.format === 'date-time' || prop.format === 'email' || prop.format === 'uri') return prop.format;
  if (prop.pattern === COUNTRY_PATTERN) return 'country';
  if (prop.pattern === CURRENCY_PATTERN) return 'currency';
  return undefined;
}

function isMoney(raw: Schema, name: string): boolean {
  if (typeof raw.$ref === 'string' && raw.$ref.endsWith('/amount')) return true;
  return /amount|price|total|cost/i.test(name);
}

/** `SalesOrder` -> `sales order`. */
function words(title: string): string[] {
  return title
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** One entry of Odoo's `fields_get` answer (the attributes asked for). */
export interface OdooFieldInfo {
  type: string;
  string?: string;
  required?: boolean;
  readonly?: boolean;
  store?: boolean;
  relation?: string;
  selection?: Array<[string, string]> | false;
}

/** Fields Odoo maintains itself; a payload never sets them. */
const ODOO_MAGIC = /^(id|display_name|create_uid|create_date|write_uid|write_date|__last_update|message_.*|activity_.*|website_message_ids|access_.*|has_message|rating_.*)$/;

/**
 * `fields` of the model; `relations` holds the `fields_get` of the models its one2many fields point to
 * (the lines of an order), by model name, when they were read.
 */
export function targetFromFieldsGet(model: string, fields: Record<string, OdooFieldInfo>, relations: Record<string, Record<string, OdooFieldInfo>> = {}): Target {
  function list(of: Record<string, OdooFieldInfo>, parent: string | undefined): TargetField[] {
    const out: TargetField[] = [];
    for (const [name, info] of Object.entries(of)) {
      if (ODOO_MAGIC.test(name) || info.readonly || info.store === false) continue;
      // A line's many2one back to its order (`order_id` of `sale.order.line`) is set by Odoo itself.
      if (parent && info.type === 'many2one' && info.relation === parent) continue;
      const field = odooField(name, info);
      if (!field) continue;
      if (info.type === 'one2many') {
        const lines = info.relation ? relations[info.relation] : undefined;
        if (!lines || parent) continue;
        field.items = list(lines, model);
      }
      out.push(field);
    }
    return out;
  }
  return { selfWords: model.split('.'), fields: list(fields, undefined) };
}

function odooField(name: string, info: OdooFieldInfo): TargetField | undefined {
  const base = { path: name, required: info.required === true, label: info.string, odoo: true };
  switch (info.type) {
    case 'char':
    case 'text':
    case 'html':
      return { ...base, type: 'string', ...(name === 'email' || name.endsWith('_email') ? { format: 'email' as const } : {}) };
    case 'integer':
      return { ...base, type: 'integer' };
    case 'float':
      return { ...base, type: 'number' };
    case 'monetary':
      return { ...base, type: 'number', money: true };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'date':
      return { ...base, type: 'string', format: 'date' };
    case 'datetime':
      return { ...base, type: 'string', format: 'date-time' };
    case 'selection':
      return { ...base, type: 'string', enum: Array.isArray(info.selection) ? info.selection.map(([value]) => value) : undefined };
    case 'many2one':
      return { ...base, type: 'integer', format: 'many2one' };
    case 'one2many':
      return { ...base, type: 'array' };
    default:
      return undefined;
  }
}
