import { uniqueViolation } from './errors';
import type { KeyIndexDef, ModelDef, Row } from './types';

interface KeyIndex extends KeyIndexDef {
  map: Map<string, Set<number>>;
}

/** One model's rows plus the indexes that keep reads, one2many lookups and unique checks O(1). */
export class Table {
  readonly rows = new Map<number, Row>();
  nextId = 1;
  /** many2one and many2many fields: target id -> ids of rows pointing at it. */
  readonly relIndex = new Map<string, Map<number, Set<number>>>();
  readonly keyIndexes: KeyIndex[];

  constructor(readonly def: ModelDef, extraIndexes: KeyIndexDef[]) {
    for (const [name, field] of Object.entries(def.fields)) {
      if ((field.type === 'many2one' || field.type === 'many2many') && !MAGIC_RELATIONS.has(name)) {
        this.relIndex.set(name, new Map());
      }
    }
    this.keyIndexes = [...(def.indexes ?? []), ...extraIndexes].map((d) => ({ ...d, map: new Map() }));
  }

  /** Ids of rows whose relational `field` points at `target`. */
  referencing(field: string, target: number): Set<number> | undefined {
    return this.relIndex.get(field)?.get(target);
  }

  lookup(indexName: string, values: unknown[]): Set<number> | undefined {
    const index = this.keyIndexes.find((i) => i.name === indexName);
    const key = keyOf(values);
    return index && key !== undefined ? index.map.get(key) : undefined;
  }
}

/** create_uid/write_uid are not indexed: nothing needs their reverse lookup. */
const MAGIC_RELATIONS = new Set(['create_uid', 'write_uid']);

function keyOf(values: unknown[]): string | undefined {
  // Postgres treats NULLs as distinct: a key with a null part is neither indexed nor unique-checked.
  if (values.some((v) => v === false || v === null || v === undefined)) return undefined;
  return values.map((v) => String(v)).join('\u0001');
}

function relTargets(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value as number[];
  return [];
}

/** A record created or written in a transaction, for automation rules to act on once it commits. */
export interface RecordChange {
  op: 'create' | 'write';
  model: string;
  id: number;
  /** Fields the call set. */
  fields: string[];
  /** The row before a write (filter_pre_domain is evaluated on it). */
  before?: Row;
  /** Clock reading of the change: the microseconds of write_date in a webhook body. */
  atMs: number;
}

/**
 * One Odoo database: tables, sequences and a transaction journal. Every mutation inside `transaction`
 * records its inverse so a failed call leaves nothing behind, like a rolled-back Postgres transaction.
 */
export class Database {
  readonly tables = new Map<string, Table>();
  private readonly sequences = new Map<string, number>();
  private journal: Array<() => void> | null = null;
  private lastNow = 0;
  private changes: RecordChange[] | null = null;
  /** Whether changes are worth recording (some automation rule exists); checked when a transaction starts. */
  watchChanges?: () => boolean;
  /** Called with the changes of each committed top-level transaction. */
  onCommit?: (changes: RecordChange[]) => void;

  constructor(
    readonly name: string,
    models: ModelDef[],
    extraIndexes: Record<string, KeyIndexDef[]>,
    private readonly clock: () => number,
  ) {
    for (const def of models) this.tables.set(def.name, new Table(def, extraIndexes[def.name] ?? []));
  }

  table(model: string): Table {
    const table = this.tables.get(model);
    if (!table) throw new Error(`no table for ${model}`);
    return table;
  }

  /** Odoo's "YYYY-MM-DD HH:MM:SS" in UTC, never going backwards. */
  now(): string {
    this.lastNow = Math.max(this.lastNow, this.clock());
    return new Date(this.lastNow).toISOString().slice(0, 19).replace('T', ' ');
  }

  /** The clock reading behind the last now(). */
  nowMs(): number {
    return this.lastNow;
  }

  noteChange(change: Omit<RecordChange, 'atMs'>): void {
    this.changes?.push({ ...change, atMs: this.lastNow });
  }

  today(): string {
    return this.now().slice(0, 10);
  }

  /** A transaction; nested, it acts as a savepoint: a failure undoes only its own changes. */
  transaction<T>(fn: () => T): T {
    const journal = this.journal;
    if (journal) {
      const mark = journal.length;
      const changeMark = this.changes?.length ?? 0;
      try {
        return fn();
      } catch (err) {
        const undo = journal.splice(mark);
        for (let i = undo.length - 1; i >= 0; i -= 1) undo[i]();
        this.changes?.splice(changeMark);
        throw err;
      }
    }
    this.journal = [];
    this.changes = this.watchChanges?.() ? [] : null;
    try {
      const result = fn();
      this.journal = null;
      const changes = this.changes;
      this.changes = null;
      if (changes && changes.length > 0) this.onCommit?.(changes);
      return result;
    } catch (err) {
      const undo = this.journal ?? [];
      this.journal = null;
      this.changes = null;
      for (let i = undo.length - 1; i >= 0; i -= 1) undo[i]();
      throw err;
    }
  }

  /** Ids come from Postgres-like sequences: never reused, not rolled back. */
  allocateId(model: string, explicit?: number): number {
    const table = this.table(model);
    if (explicit !== undefined) {
      table.nextId = Math.max(table.nextId, explicit + 1);
      return explicit;
    }
    const id = table.nextId;
    table.nextId += 1;
    return id;
  }

  /** Document numbers (S00001, INV/2026/00001) are rolled back with the transaction. */
  nextSequence(key: string): number {
    const next = (this.sequences.get(key) ?? 0) + 1;
    this.sequences.set(key, next);
    this.journal?.push(() => this.sequences.set(key, next - 1));
    return next;
  }

  insert(model: string, row: Row): void {
    const table = this.table(model);
    for (const index of table.keyIndexes) this.checkUnique(index, row, row.id);
    this.rawInsert(table, row);
    this.journal?.push(() => this.rawRemove(table, row));
  }

  update(model: string, id: number, changes: Record<string, unknown>): void {
    const table = this.table(model);
    const row = table.rows.get(id);
    if (!row) return;
    const before: Record<string, unknown> = {};
    for (const key of Object.keys(changes)) before[key] = row[key];
    const next = { ...row, ...changes } as Row;
    for (const index of table.keyIndexes) this.checkUnique(index, next, id);
    this.rawUpdate(table, row, changes);
    this.journal?.push(() => this.rawUpdate(table, row, before));
  }

  remove(model: string, id: number): void {
    const table = this.table(model);
    const row = table.rows.get(id);
    if (!row) return;
    this.rawRemove(table, row);
    this.journal?.push(() => this.rawInsert(table, row));
  }

  private checkUnique(index: KeyIndex, row: Row, id: number): void {
    if (!index.unique) return;
    const values = index.fields.map((f) => row[f]);
    const key = keyOf(values);
    if (key === undefined) return;
    const holders = index.map.get(key);
    if (holders && [...holders].some((other) => other !== id)) {
      throw uniqueViolation(index.name, index.fields, values);
    }
  }

  private rawInsert(table: Table, row: Row): void {
    table.rows.set(row.id, row);
    this.indexRow(table, row, true);
  }

  private rawRemove(table: Table, row: Row): void {
    this.indexRow(table, row, false);
    table.rows.delete(row.id);
  }

  private rawUpdate(table: Table, row: Row, changes: Record<string, unknown>): void {
    this.indexRow(table, row, false);
    Object.assign(row, changes);
    this.indexRow(table, row, true);
  }

  private indexRow(table: Table, row: Row, add: boolean): void {
    for (const [field, map] of table.relIndex) {
      for (const target of relTargets(row[field])) {
        let set = map.get(target);
        if (add) {
          if (!set) map.set(target, (set = new Set()));
          set.add(row.id);
        } else if (set) {
          set.delete(row.id);
          if (set.size === 0) map.delete(target);
        }
      }
    }
    for (const index of table.keyIndexes) {
      const key = keyOf(index.fields.map((f) => row[f]));
      if (key === undefined) continue;
      let set = index.map.get(key);
      if (add) {
        if (!set) index.map.set(key, (set = new Set()));
        set.add(row.id);
      } else if (set) {
        set.delete(row.id);
        if (set.size === 0) index.map.delete(key);
      }
    }
  }
}
