/** The audit log of Odoo writes: one hash-chained entry per create/write/unlink/call that reached Odoo. */

/** What the recorder knows about one call; the log adds seq, prevHash and hash. */
export interface AuditRecord {
  /** Epoch ms the call ended. */
  at: number;
  flowId?: string;
  nodeId?: string;
  nodeName?: string;
  /** The connection's name or id. */
  connection: string;
  /** The Odoo login of the connection, when set. */
  login?: string;
  model: string;
  method: string;
  /** odoo-write's operation (create, write, unlink, call, upsert), when the call came from one. */
  operation?: string;
  ids: number[];
  recordCount: number;
  correlationId?: string;
  businessKey?: string;
  /** 'ok' or the error kind. */
  outcome: string;
  durationMs: number;
}

export interface AuditEntry extends AuditRecord {
  /** 1, 2, 3... per store, without gaps. */
  seq: number;
  /** Hash of the entry before (or of the retention anchor; 64 zeros before the first). */
  prevHash: string;
  /** SHA-256 over prevHash and the entry's canonical JSON. */
  hash: string;
}

export interface AuditFilter {
  since?: number;
  until?: number;
  connection?: string;
  model?: string;
  method?: string;
  flowId?: string;
  nodeId?: string;
  correlationId?: string;
  businessKey?: string;
  outcome?: string;
  limit?: number;
  /** Entries with a seq below this one (the next page of a newest-first listing). */
  beforeSeq?: number;
}

/** Where the chain starts: the last entry removed by retention (seq 0 and the genesis hash when none). */
export interface ChainPoint {
  seq: number;
  hash: string;
}

export interface AuditLog {
  readonly backend: 'sqlite' | 'redis';
  append(record: AuditRecord): Promise<AuditEntry>;
  /** Newest first. */
  query(filter: AuditFilter): Promise<AuditEntry[]>;
  /** Oldest first, from seq `afterSeq + 1`, at most `limit` entries. */
  range(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /** The retention anchor and the newest entry's point. */
  bounds(): Promise<{ anchor: ChainPoint; head: ChainPoint }>;
  /** Removes entries older than `olderThan` (a prefix of the chain) and moves the anchor; returns how many. */
  purge(olderThan: number): Promise<number>;
  close(): Promise<void>;
}
