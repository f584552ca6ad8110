import type { Orm } from './orm';

export type FieldType =
  | 'char'
  | 'text'
  | 'html'
  | 'integer'
  | 'float'
  | 'monetary'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'selection'
  | 'many2one'
  | 'one2many'
  | 'many2many'
  | 'many2one_reference';

/** A stored record: raw values (many2one as an id or false, many2many as an id list). */
export type Row = { id: number } & Record<string, unknown>;

export interface FieldDef {
  type: FieldType;
  string: string;
  required?: boolean;
  readonly?: boolean;
  relation?: string;
  /** one2many: the many2one on the comodel pointing back. */
  inverseName?: string;
  selection?: Array<[string, string]>;
  default?: (orm: Orm) => unknown;
  /** Non-stored computed value, evaluated on read, search and order. */
  compute?: (orm: Orm, row: Row) => unknown;
  ondelete?: 'cascade' | 'set null' | 'restrict';
  help?: string;
}

export interface KeyIndexDef {
  /** Postgres-like constraint/index name, shown in unique-violation messages. */
  name: string;
  fields: string[];
  unique: boolean;
}

export interface ModelDef {
  name: string;
  description: string;
  /** Python class shown in TypeError texts for model-specific methods. */
  pythonClass: string;
  fields: Record<string, FieldDef>;
  /** Default `_order`. */
  order: string;
  /** Fields `name_search` matches with its operator. */
  nameSearchFields: string[];
  displayName: (orm: Orm, row: Row) => string;
  indexes?: KeyIndexDef[];
  /** Fills computed defaults (sequences, values taken from related records) before insert. */
  prepareCreate?: (orm: Orm, row: Row, vals: Record<string, unknown>) => void;
  /** Python constraints, checked after create and write. */
  check?: (orm: Orm, row: Row) => void;
  /** Refusals before unlink (UserError and the like). */
  beforeUnlink?: (orm: Orm, rows: Row[]) => void;
  /** Record rule: users other than the admins see only rows whose many2one field points at their own uid. */
  ownRecordsField?: string;
}
