/**
 * The product's own metrics on the shared registry, and the observers that feed them: the Odoo client, the webhook
 * receiver, the idempotency guard and the retry node call these instead of holding counters of their own.
 */
import type { CallEvent, CallObserver, CircuitState, KeyExpiry, PauseInfo } from '../odoo/types';
import type { DeadLetterStatus, MiddlewareStore } from '../store/types';
import { CALL_DURATION_BUCKETS, LabelSetLimiter, middlewareMetrics, type MetricsRegistry } from './metrics';

/** Distinct model/method pairs counted per process before new ones go under `other`. */
export const MAX_MODEL_METHOD_PAIRS = 500;

const CIRCUIT_VALUES: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };
const LETTER_STATUSES: readonly DeadLetterStatus[] = ['dead', 'replayed', 'discarded'];

export class MiddlewareInstruments {
  readonly calls;
  readonly callDuration;
  readonly retries;
  readonly webhookRequests;
  readonly guardDecisions;
  private readonly pairs = new LabelSetLimiter(MAX_MODEL_METHOD_PAIRS);

  constructor(readonly metrics: MetricsRegistry) {
    this.calls = metrics.counter('odoo_calls_total', 'Odoo calls by connection, model, method and outcome (ok or the error kind).', ['connection', 'model', 'method', 'outcome']);
    this.callDuration = metrics.histogram('odoo_call_duration_seconds', 'Duration of Odoo calls that were sent.', ['connection', 'model', 'method'], CALL_DURATION_BUCKETS);
    this.retries = metrics.counter('retries_total', 'Retries scheduled, by retry node (or odoo-write with retry on).', ['node']);
    this.webhookRequests = metrics.counter('webhook_requests_total', 'Webhook requests by webhook-in node and outcome (accepted, duplicate or the rejection kind).', ['node', 'outcome']);
    this.guardDecisions = metrics.counter('guard_decisions_total', 'Idempotency decisions: first, duplicate, conflict.', ['outcome']);
  }

  /** The observer an Odoo client of connection `connection` (its name or id) reports to. */
  callObserver(connection: string): CallObserver {
    return {
      onCall: (event: CallEvent) => {
        const admitted = this.pairs.admit(`${event.model}\u0000${event.method}`);
        const model = admitted ? event.model : 'other';
        const method = admitted ? event.method : 'other';
        this.calls.inc({ connection, model, method, outcome: event.outcome });
        if (event.sent) this.callDuration.observe({ connection, model, method }, event.durationMs / 1000);
      },
    };
  }

  /** circuit_state, api_key_expiry_seconds and connection_paused of one connection while it runs. */
  watchConnection(connection: string, state: { circuitState(): CircuitState; keyExpiry(): KeyExpiry | undefined; paused(): PauseInfo | undefined }, now: () => number = Date.now): () => void {
    const removers = [
      this.metrics.gaugeSource('circuit_state', 'Circuit breaker state per connection: 0 closed, 1 half-open, 2 open.', ['connection'], () => [
        { labels: { connection }, value: CIRCUIT_VALUES[state.circuitState()] },
      ]),
      this.metrics.gaugeSource('api_key_expiry_seconds', 'Seconds until the API key in use expires (negative once expired); absent when it has no expiry date.', ['connection'], () => {
        const expiresAt = state.keyExpiry()?.expiresAt;
        return expiresAt === undefined ? [] : [{ labels: { connection }, value: (expiresAt - now()) / 1000 }];
      }),
      this.metrics.gaugeSource('connection_paused', 'Connection paused after repeated authentication failures: 1 paused, 0 running.', ['connection'], () => [
        { labels: { connection }, value: state.paused() ? 1 : 0 },
      ]),
    ];
    return () => removers.forEach((remove) => remove());
  }

  /** dead_letters{status}, summed over the stores the retry nodes use. */
  watchDeadLetters(stores: () => MiddlewareStore[]): () => void {
    return this.metrics.gaugeSource('dead_letters', 'Dead letters by status, over every store a retry node uses.', ['status'], async () => {
      const all = stores();
      // A store that cannot answer leaves its status out rather than reporting a count that is not true.
      const readings = await Promise.allSettled(
        LETTER_STATUSES.map(async (status) => {
          const counts = await Promise.all(all.map((store) => store.countDeadLetters({ status })));
          return { labels: { status }, value: counts.reduce((a, b) => a + b, 0) };
        }),
      );
      return readings.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    });
  }
}

/** The process's instruments on the shared registry. */
export const instruments = new MiddlewareInstruments(middlewareMetrics);

/** What a node is called in labels: its name when it has one, its id otherwise. */
export function nodeLabel(node: { id: string; name?: string }): string {
  return node.name?.trim() ? node.name.trim() : node.id;
}
