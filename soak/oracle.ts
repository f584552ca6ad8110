/**
 * The exactly-once oracle, checked over JSON-2 once faults are off: every order is in Odoo exactly once or
 * still dead-lettered, each sale.order has exactly its lines (a re-run replaced them, never appended) and
 * carries its order's correlation id on the chatter.
 */
import type http from 'node:http';
import { SANDBOX_DEFAULTS } from '../sandbox';
import { requestJson } from './http';
import type { OrderSpec } from './provider';

export interface DeadLetterRow {
  id: string;
  status: string;
  correlationId?: string;
  errorKind?: string;
  errorCode?: unknown;
  errorMessage?: unknown;
  reason?: unknown;
}

export interface OracleResult {
  orders: number;
  inOdoo: number;
  lost: number;
  duplicates: number;
  deadAfterReplay: number;
  /** Orders in Odoo whose record lacks a chatter note with their correlation id. */
  missingCorrelation: number;
  /** Orders in Odoo whose line count differs from the webhook's. */
  lineMismatches: number;
  /** Partner emails held by more than one partner (no unique constraint on email). */
  duplicatePartnerEmails: number;
  examples: string[];
}

/** A JSON-2 call; retried a few times so it also works while faults are on. */
export async function odooCall<T>(agent: http.Agent, odooUrl: string, model: string, method: string, args: Record<string, unknown>, timeoutMs = 10_000): Promise<T> {
  let last = '';
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      const answer = await requestJson(agent, `${odooUrl}/json/2/${model}/${method}`, {
        body: args,
        headers: { authorization: `Bearer ${SANDBOX_DEFAULTS.apiKey}` },
        timeoutMs,
      });
      if (answer.status === 200) return answer.body as T;
      last = `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
      if (answer.status < 500 && answer.status !== 429) break;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`JSON-2 ${model}.${method} failed: ${last}`);
}

/** Every dead letter with the given status, page by page. */
export async function listDeadLetters(agent: http.Agent, adminUrl: string, status: string): Promise<DeadLetterRow[]> {
  const rows: DeadLetterRow[] = [];
  for (let offset = 0; ; offset += 500) {
    const answer = await requestJson(agent, `${adminUrl}/odoo-middleware/dead-letters?status=${status}&limit=500&offset=${offset}`, { timeoutMs: 30_000 });
    if (answer.status !== 200) throw new Error(`GET dead-letters answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const page = answer.body as { total: number; items: DeadLetterRow[] };
    rows.push(...page.items);
    if (page.items.length < 500 || rows.length >= page.total) return rows;
  }
}

export async function checkOracle(agent: http.Agent, odooUrl: string, tag: string, orders: readonly OrderSpec[], dead: readonly DeadLetterRow[]): Promise<OracleResult> {
  const records = await odooCall<Array<{ id: number; client_order_ref: string; order_line: number[] }>>(agent, odooUrl, 'sale.order', 'search_read', {
    domain: [['client_order_ref', 'like', `SOAK-${tag}-`]],
    fields: ['client_order_ref', 'order_line'],
    context: { active_test: false },
  });
  const byRef = new Map<string, typeof records>();
  for (const r of records) byRef.set(r.client_order_ref, [...(byRef.get(r.client_order_ref) ?? []), r]);

  const notes = records.length
    ? await odooCall<Array<{ res_id: number; body: string }>>(agent, odooUrl, 'mail.message', 'search_read', {
        domain: [['model', '=', 'sale.order'], ['res_id', 'in', records.map((r) => r.id)]],
        fields: ['res_id', 'body'],
      })
    : [];
  const notesById = new Map<number, string[]>();
  for (const n of notes) notesById.set(n.res_id, [...(notesById.get(n.res_id) ?? []), n.body]);

  const deadCorrelations = new Set(dead.map((d) => d.correlationId).filter((c): c is string => typeof c === 'string'));
  const result: OracleResult = {
    orders: orders.length,
    inOdoo: 0,
    lost: 0,
    duplicates: 0,
    deadAfterReplay: dead.filter((d) => typeof d.correlationId === 'string' && d.correlationId.startsWith(`soak-${tag}-`)).length,
    missingCorrelation: 0,
    lineMismatches: 0,
    duplicatePartnerEmails: 0,
    examples: [],
  };
  const example = (text: string): void => {
    if (result.examples.length < 10) result.examples.push(text);
  };
  for (const order of orders) {
    const found = byRef.get(order.body.order_id) ?? [];
    if (found.length === 0) {
      if (!deadCorrelations.has(order.correlationId)) {
        result.lost += 1;
        example(`lost: ${order.body.order_id}`);
      }
      continue;
    }
    result.inOdoo += 1;
    if (found.length > 1) {
      result.duplicates += 1;
      example(`duplicate: ${order.body.order_id} -> ids ${found.map((r) => r.id).join(', ')}`);
    }
    for (const record of found) {
      if (record.order_line.length !== order.body.lines.length) {
        result.lineMismatches += 1;
        example(`lines: ${order.body.order_id} (id ${record.id}) has ${record.order_line.length} lines, the webhook ${order.body.lines.length}`);
      }
      if (!(notesById.get(record.id) ?? []).some((body) => body.includes(order.correlationId))) {
        result.missingCorrelation += 1;
        example(`no chatter note with ${order.correlationId} on sale.order ${record.id}`);
      }
    }
  }
  const partners = await odooCall<Array<{ email: string }>>(agent, odooUrl, 'res.partner', 'search_read', {
    domain: [['email', 'like', `customer-${tag}-`]],
    fields: ['email'],
    context: { active_test: false },
  });
  const emails = new Map<string, number>();
  for (const p of partners) emails.set(p.email, (emails.get(p.email) ?? 0) + 1);
  result.duplicatePartnerEmails = [...emails.values()].filter((n) => n > 1).length;
  return result;
}
