/** Turns the Odoo client's call events into audit entries: every write that was sent, whatever Odoo answered. */
import { READ_METHODS } from '../../odoo/policy';
import type { CallEvent, CallObserver } from '../../odoo/types';
import type { Masker } from '../masking';
import type { AuditLog, AuditRecord } from './types';

export interface AuditRecorderOptions {
  connection: string;
  login?: string;
  /** Resolved at each call: the store node may start after the connection. */
  log: () => AuditLog | undefined;
  masker: Masker;
  now?: () => number;
  /** A write that could not be audited (the store is down): the call itself already happened. */
  onError(err: unknown, record: AuditRecord): void;
}

export function isAuditedCall(event: CallEvent): boolean {
  return event.sent && !READ_METHODS.has(event.method);
}

/** The record ids a call touched: the created ids for create, the ids argument otherwise. */
export function recordIds(event: CallEvent): number[] {
  const source = event.method === 'create' && event.outcome === 'ok' ? event.result : event.args.ids;
  const list = Array.isArray(source) ? source : source === undefined || source === null ? [] : [source];
  return list.filter((id): id is number => typeof id === 'number' && Number.isInteger(id));
}

function recordCount(event: CallEvent, ids: number[]): number {
  const vals = event.args.vals_list;
  if (event.method === 'create' && Array.isArray(vals)) return vals.length;
  return ids.length;
}

export function auditRecord(event: CallEvent, options: Pick<AuditRecorderOptions, 'connection' | 'login' | 'masker'>, at: number): AuditRecord {
  const ids = recordIds(event);
  const origin = event.options?.origin;
  const record: AuditRecord = {
    at,
    connection: options.connection,
    model: event.model,
    method: event.method,
    ids,
    recordCount: recordCount(event, ids),
    outcome: event.outcome,
    durationMs: Math.round(event.durationMs),
  };
  if (options.login) record.login = options.login;
  if (origin?.flowId) record.flowId = origin.flowId;
  if (origin?.nodeId) record.nodeId = origin.nodeId;
  if (origin?.nodeName) record.nodeName = origin.nodeName;
  if (origin?.operation) record.operation = origin.operation;
  if (event.options?.correlationId) record.correlationId = options.masker.maskText(event.options.correlationId);
  if (origin?.businessKey) record.businessKey = options.masker.maskText(origin.businessKey);
  return record;
}

export function auditObserver(options: AuditRecorderOptions): CallObserver {
  const now = options.now ?? Date.now;
  return {
    onCall(event) {
      if (!isAuditedCall(event)) return;
      const log = options.log();
      if (!log) return;
      const record = auditRecord(event, options, now());
      log.append(record).catch((err: unknown) => options.onError(err, record));
    },
  };
}

/** Several observers as one; each is isolated from the others' failures. */
export function observers(...list: Array<CallObserver | undefined>): CallObserver {
  const active = list.filter((o): o is CallObserver => o !== undefined);
  return {
    onCall(event) {
      for (const observer of active) {
        try {
          observer.onCall(event);
        } catch {
          // One observer's failure must not keep the others from seeing the call.
        }
      }
    },
  };
}
