/**
 * Admin endpoints of the audit log and the stores (permission `odoo-middleware.read`):
 * GET /odoo-middleware/audit (filters, newest first), /audit/export (JSON lines, oldest first), /audit/verify,
 * and GET /odoo-middleware/stores (backend, dead-letter encryption, audit head).
 */
import { toMiddlewareError, ValidationError } from '../../errors';
import type { Masker } from '../masking';
import { OPS_READ_PERMISSION, type OpsApp, type OpsHandler, type OpsRequest, type OpsResponse } from '../routes';
import type { OpsStore, OpsStoreRegistry } from '../stores';
import { verifyChain } from './chain';
import type { AuditEntry, AuditFilter } from './types';

export const AUDIT_PATH = '/odoo-middleware/audit';
export const STORES_PATH = '/odoo-middleware/stores';
export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;
const EXPORT_BATCH = 1000;

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s.trim() !== '' ? s.trim() : undefined;
}

function time(query: Record<string, unknown>, name: string): number | undefined {
  const s = single(query, name);
  if (s === undefined) return undefined;
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(t)) throw new ValidationError(`query ${name} must be epoch milliseconds or an ISO date, got "${s}"`, { property: name });
  return t;
}

function integer(query: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const s = single(query, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new ValidationError(`query ${name} must be an integer from ${min} to ${max}, got "${s}"`, { property: name });
  return n;
}

/** `?connection=&model=&method=&flow=&node=&correlationId=&businessKey=&outcome=&since=&until=&limit=&beforeSeq=` */
export function parseAuditQuery(query: Record<string, unknown>): AuditFilter {
  const filter: AuditFilter = { limit: integer(query, 'limit', 1, MAX_AUDIT_LIMIT) ?? DEFAULT_AUDIT_LIMIT };
  const text: Array<[keyof AuditFilter, string]> = [
    ['connection', 'connection'], ['model', 'model'], ['method', 'method'], ['flowId', 'flow'], ['nodeId', 'node'],
    ['correlationId', 'correlationId'], ['businessKey', 'businessKey'], ['outcome', 'outcome'],
  ];
  for (const [field, name] of text) {
    const value = single(query, name);
    if (value !== undefined) (filter as Record<string, unknown>)[field] = value;
  }
  const since = time(query, 'since');
  const until = time(query, 'until');
  const beforeSeq = integer(query, 'beforeSeq', 1, Number.MAX_SAFE_INTEGER);
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (beforeSeq !== undefined) filter.beforeSeq = beforeSeq;
  return filter;
}

/** The store named by `?store=`, or the only one; a clear error otherwise. */
function pickStore(registry: OpsStoreRegistry, query: Record<string, unknown>): OpsStore {
  const id = single(query, 'store');
  const all = registry.all();
  if (id !== undefined) {
    const found = registry.get(id);
    if (!found) throw new ValidationError(`query store must name a deployed middleware-store; known: ${all.map((s) => s.id).join(', ') || 'none'}`, { property: 'store' });
    return found;
  }
  if (all.length === 1) return all[0];
  throw new ValidationError(
    all.length === 0 ? 'no middleware-store is deployed, so there is no audit log' : `query store is required when several stores are deployed: ${all.map((s) => s.id).join(', ')}`,
    { property: 'store' },
  );
}

function sendError(res: OpsResponse, err: unknown): void {
  const e = toMiddlewareError(err);
  res.status(e.kind === 'validation' ? 400 : e.retryable ? 503 : 500).json({ code: e.code, message: e.message });
}

export function mountAuditRoutes(app: OpsApp, needsPermission: (permission: string) => OpsHandler, registry: OpsStoreRegistry, masker: Masker): void {
  const read = needsPermission(OPS_READ_PERMISSION);
  const shown = (entry: AuditEntry): AuditEntry => masker.maskValue(entry);
  const handle = (work: (req: OpsRequest, res: OpsResponse) => Promise<void>): OpsHandler => (req, res) => {
    work(req, res).catch((err: unknown) => sendError(res, err));
  };

  app.get(STORES_PATH, read, handle(async (_req, res) => {
    const stores = await Promise.all(
      registry.all().map(async (store) => {
        const head = await store.auditLog().bounds().then((b) => b.head, () => undefined);
        return { id: store.id, name: store.name, backend: store.backend, deadLetterEncryption: store.deadLetterEncryption, auditHead: head ?? null };
      }),
    );
    res.status(200).json({ stores });
  }));

  app.get(AUDIT_PATH, read, handle(async (req, res) => {
    const filter = parseAuditQuery(req.query);
    const store = pickStore(registry, req.query);
    const entries = await store.auditLog().query(filter);
    const last = entries[entries.length - 1];
    res.status(200).json({ store: store.id, entries: entries.map(shown), nextBeforeSeq: entries.length === filter.limit && last ? last.seq : null });
  }));

  app.get(`${AUDIT_PATH}/verify`, read, handle(async (req, res) => {
    const store = pickStore(registry, req.query);
    res.status(200).json({ store: store.id, ...(await verifyChain(store.auditLog())) });
  }));

  app.get(`${AUDIT_PATH}/export`, read, handle(async (req, res) => {
    const store = pickStore(registry, req.query);
    const log = store.auditLog();
    const { anchor } = await log.bounds();
    const lines: string[] = [];
    for (let after = anchor.seq; ; ) {
      const batch = await log.range(after, EXPORT_BATCH);
      if (batch.length === 0) break;
      for (const entry of batch) lines.push(JSON.stringify(shown(entry)));
      after = batch[batch.length - 1].seq;
    }
    res
      .status(200)
      .set('Content-Type', 'application/x-ndjson; charset=utf-8')
      .set('Content-Disposition', `attachment; filename="audit-${store.id}.jsonl"`)
      .send(lines.length ? `${lines.join('\n')}\n` : '');
  }));
}
