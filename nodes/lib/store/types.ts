/**
 * The shared store: idempotency records, dead letters, scheduled retries and watermarks.
 * Every method is one atomic state change on the backend (SQLite transaction, Redis Lua/MULTI).
 * Times are epoch milliseconds passed in by the caller, so logic above is testable with a fake clock.
 */

export type IdempotencyStatus = 'in_progress' | 'completed';

export interface IdempotencyRecord {
  namespace: string;
  key: string;
  status: IdempotencyStatus;
  /** SHA-256 of the canonical JSON of the guarded payload. */
  fingerprint: string;
  /** Fences completion/release: only the holder of this token may change the record. */
  leaseToken: string;
  leaseExpiresAt: number;
  firstSeenAt: number;
  completedAt?: number;
  /** What the first processing produced; returned to resends. */
  result?: unknown;
  /** When a completed record is forgotten. */
  expiresAt?: number;
}

export type ClaimOutcome =
  /** `takeover` is true when an expired in-progress lease of another holder was taken over. */
  | { outcome: 'claimed'; record: IdempotencyRecord; takeover?: boolean }
  | { outcome: 'completed'; record: IdempotencyRecord }
  | { outcome: 'in_progress'; record: IdempotencyRecord }
  | { outcome: 'fingerprint_mismatch'; record: IdempotencyRecord };

export interface ClaimRequest {
  namespace: string;
  key: string;
  fingerprint: string;
  leaseToken: string;
  leaseMs: number;
  now: number;
}

export type DeadLetterStatus = 'dead' | 'replayed' | 'discarded';

export interface DeadLetter {
  id: string;
  /** The message as the failing node received it, serialisable parts only. */
  message: Record<string, unknown>;
  /** Paths of message parts that could not be serialised and were dropped. */
  droppedPaths: string[];
  error: Record<string, unknown>;
  history: Array<Record<string, unknown>>;
  flowId?: string;
  /** The node (retry node) that parked it and re-emits it on replay. */
  nodeId: string;
  correlationId?: string;
  errorKind?: string;
  createdAt: number;
  updatedAt: number;
  status: DeadLetterStatus;
}

export interface DeadLetterFilter {
  flowId?: string;
  nodeId?: string;
  errorKind?: string;
  correlationId?: string;
  status?: DeadLetterStatus;
  since?: number;
  until?: number;
  limit?: number;
  offset?: number;
}

export interface ScheduledRetry {
  id: string;
  /** The retry node that owns it. */
  nodeId: string;
  dueAt: number;
  message: Record<string, unknown>;
  createdAt: number;
}

/** An open business SLA: `key` (e.g. `S1234`) must be closed before `deadlineAt`. */
export interface SlaRecord {
  /** The sla config node's id. */
  sla: string;
  key: string;
  openedAt: number;
  deadlineAt: number;
  correlationId?: string;
  /** The sla-open node that opened it; its breach output reports the breach. */
  nodeId?: string;
  flowId?: string;
  /** Set once, by the one instance that reported the breach. */
  breachedAt?: number;
}

export interface MiddlewareStore {
  readonly backend: 'sqlite' | 'redis';

  claim(req: ClaimRequest): Promise<ClaimOutcome>;
  /** Marks completed with a result and TTL; false when the token no longer holds the lease. */
  complete(namespace: string, key: string, leaseToken: string, result: unknown, ttlMs: number, now: number): Promise<boolean>;
  /** Deletes an in-progress claim so a retry may proceed; false when the token no longer holds it. */
  release(namespace: string, key: string, leaseToken: string): Promise<boolean>;
  getIdempotency(namespace: string, key: string, now: number): Promise<IdempotencyRecord | undefined>;

  addDeadLetter(letter: DeadLetter): Promise<void>;
  getDeadLetter(id: string): Promise<DeadLetter | undefined>;
  listDeadLetters(filter: DeadLetterFilter): Promise<{ total: number; items: DeadLetter[] }>;
  countDeadLetters(filter: DeadLetterFilter): Promise<number>;
  setDeadLetterStatus(id: string, status: DeadLetterStatus, now: number): Promise<boolean>;
  /** Deletes letters created before `olderThan`; returns how many. */
  purgeDeadLetters(olderThan: number): Promise<number>;

  /** Written before the retry timer is armed, so a restart resumes it. */
  scheduleRetry(entry: ScheduledRetry): Promise<void>;
  /** Removed once re-sent; false when already taken (another instance sent it). */
  removeRetry(id: string): Promise<boolean>;
  listRetries(nodeId: string): Promise<ScheduledRetry[]>;

  getWatermark(key: string): Promise<string | undefined>;
  setWatermark(key: string, value: string): Promise<void>;

  /** Opens an SLA unless `sla`/`key` is already open; returns the record that is open (the existing one when not opened). */
  openSla(record: SlaRecord): Promise<{ opened: boolean; record: SlaRecord }>;
  /** Closes (deletes) an open SLA and returns it; undefined when none was open. */
  closeSla(sla: string, key: string): Promise<SlaRecord | undefined>;
  /** Marks an open SLA breached; true only for the first caller, so one instance reports each breach. */
  markSlaBreached(sla: string, key: string, now: number): Promise<boolean>;
  /** Open SLAs of `sla`, earliest deadline first. */
  listSlas(sla: string): Promise<SlaRecord[]>;

  /** Deletes completed idempotency records whose TTL ended before `now`; returns how many (Redis expires keys itself). */
  sweepExpired?(now: number): Promise<number>;

  close(): Promise<void>;
}

/** What a middleware-store config node offers the nodes that use it: one shared instance. */
export interface StoreProvider {
  getStore(): MiddlewareStore;
}
