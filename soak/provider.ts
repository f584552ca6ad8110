/**
 * The webhook provider: delivers every order until it gets a 2xx, like a real provider's retry loop (backoff on
 * 409, 5xx, connection errors and timeouts), and sends some orders twice, concurrently or a little later.
 */
import type http from 'node:http';
import { requestJson } from './http';

export interface WebhookOrder {
  order_id: string;
  customer: { email: string; name: string };
  lines: Array<{ sku?: string; description: string; qty: number; price: number }>;
  source: string;
}

export interface OrderSpec {
  index: number;
  correlationId: string;
  body: WebhookOrder;
  /** Also delivered a second time: at once (concurrently) or after a short random delay. */
  duplicate: 'none' | 'concurrent' | 'later';
}

export interface FinalAnswer {
  status: number;
  body: unknown;
}

export interface ProviderStats {
  requests: number;
  byStatus: Record<string, number>;
  connectionErrors: number;
  clientTimeouts: number;
  /** 404 "Cannot POST" answers: Node-RED listening while its flows were not started yet. */
  routeMissing: number;
  /** Orders whose deliveries ended in different answers (e.g. two different sale.order ids). */
  disagreements: string[];
  /** 409 "in progress" answers for a claim whose lease had ended more than 1 s before the request. */
  staleClaimBlocks: string[];
  /** After a 409, time from the lease's end to the request that got through (Node-RED up all along). */
  takeoverWaitsMs: number[];
  /** Answers an order of valid data should never get (400, 409 fingerprint_mismatch...). */
  unexpected: string[];
}

const REQUEST_TIMEOUT_MS = 30_000;
const TAKEOVER_GRACE_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Deterministic test data from a seed: a customer pool (so partners are shared) and 1-3 lines per order. */
export function makeOrders(count: number, tag: string, random: () => number): OrderSpec[] {
  const customers = Math.max(1, Math.ceil(count / 5));
  const orders: OrderSpec[] = [];
  for (let i = 0; i < count; i += 1) {
    const customer = Math.floor(random() * customers);
    const lines = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, n) => ({
      ...(random() < 0.5 ? { sku: `SKU-${Math.floor(random() * 100)}` } : {}),
      description: `Item ${n + 1} of order ${i}`,
      qty: 1 + Math.floor(random() * 5),
      price: Math.round(random() * 50_000) / 100,
    }));
    const draw = random();
    orders.push({
      index: i,
      correlationId: `soak-${tag}-${i}`,
      body: {
        order_id: `SOAK-${tag}-${i}`,
        customer: { email: `customer-${tag}-${customer}@example.com`, name: `Customer ${customer}` },
        lines,
        source: 'soak',
      },
      duplicate: draw < 0.05 ? 'concurrent' : draw < 0.1 ? 'later' : 'none',
    });
  }
  return orders;
}

export class Provider {
  readonly stats: ProviderStats = {
    requests: 0,
    byStatus: {},
    connectionErrors: 0,
    clientTimeouts: 0,
    routeMissing: 0,
    disagreements: [],
    staleClaimBlocks: [],
    takeoverWaitsMs: [],
    unexpected: [],
  };
  readonly answers = new Map<string, FinalAnswer>();
  private completed = 0;
  private readonly inFlight = new Map<string, number>();
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private aborted: Error | undefined;

  constructor(
    private readonly agent: http.Agent,
    private readonly url: () => string,
    private readonly random: () => number,
    /** The Orders endpoint's bearer token (API_TOKEN). */
    private readonly apiToken: string,
  ) {}

  get progress(): number {
    return this.completed;
  }

  /** Order ids with a delivery under way right now. */
  inFlightOrders(): string[] {
    return [...this.inFlight.keys()];
  }

  /** Resolves when `count` orders have their first 2xx (or the run ended). */
  waitForProgress(count: number): Promise<void> {
    if (this.completed >= count || this.aborted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  abort(reason: Error): void {
    this.aborted = reason;
    this.wake(Number.MAX_SAFE_INTEGER);
  }

  async run(orders: readonly OrderSpec[], concurrency: number): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < orders.length && !this.aborted) {
        const order = orders[next];
        next += 1;
        await this.deliverOrder(order);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    this.wake(Number.MAX_SAFE_INTEGER);
    if (this.aborted) throw this.aborted;
  }

  private wake(upTo: number): void {
    for (let i = this.waiters.length - 1; i >= 0; i -= 1) {
      if (this.waiters[i].count <= upTo) {
        this.waiters[i].resolve();
        this.waiters.splice(i, 1);
      }
    }
  }

  private async deliverOrder(order: OrderSpec): Promise<void> {
    const deliveries = [this.deliver(order).then((a) => this.finishFirst(order, a))];
    if (order.duplicate === 'concurrent') deliveries.push(this.deliver(order));
    if (order.duplicate === 'later') deliveries.push(sleep(this.random() * 2_000).then(() => this.deliver(order)));
    const results = await Promise.all(deliveries);
    const ids = new Set(results.filter((a) => a.status === 200).map((a) => JSON.stringify(a.body)));
    if (ids.size > 1) this.stats.disagreements.push(`${order.body.order_id}: ${[...ids].join(' vs ')}`);
  }

  private finishFirst(order: OrderSpec, answer: FinalAnswer): FinalAnswer {
    this.answers.set(order.body.order_id, answer);
    this.completed += 1;
    this.wake(this.completed);
    return answer;
  }

  /** One delivery: resend until a 2xx. */
  private async deliver(order: OrderSpec): Promise<FinalAnswer> {
    const id = order.body.order_id;
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    try {
      let failures = 0;
      let blockedBy: number | undefined;
      let downSinceBlock = false;
      while (!this.aborted) {
        const sentAt = Date.now();
        let answer: FinalAnswer;
        try {
          answer = await requestJson(this.agent, this.url(), {
            body: order.body,
            headers: { 'x-correlation-id': order.correlationId, authorization: `Bearer ${this.apiToken}` },
            timeoutMs: REQUEST_TIMEOUT_MS,
          });
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'ETIMEDOUT') this.stats.clientTimeouts += 1;
          else this.stats.connectionErrors += 1;
          downSinceBlock = true;
          failures += 1;
          await sleep(this.backoff(failures));
          continue;
        }
        this.stats.requests += 1;
        this.stats.byStatus[answer.status] = (this.stats.byStatus[answer.status] ?? 0) + 1;
        const error = (answer.body as { error?: { reason?: string; leaseExpiresAt?: number } } | undefined)?.error;
        if (answer.status === 409 && error?.reason === 'in_progress' && typeof error.leaseExpiresAt === 'number') {
          if (blockedBy === error.leaseExpiresAt && sentAt > blockedBy + TAKEOVER_GRACE_MS) {
            this.stats.staleClaimBlocks.push(`${id}: request at ${new Date(sentAt).toISOString()} still blocked by a lease that ended at ${new Date(blockedBy).toISOString()}`);
          }
          if (blockedBy !== error.leaseExpiresAt) downSinceBlock = false;
          blockedBy = error.leaseExpiresAt;
          await sleep(150 + this.random() * 250);
          continue;
        }
        if (blockedBy !== undefined && sentAt >= blockedBy && !downSinceBlock) this.stats.takeoverWaitsMs.push(sentAt - blockedBy);
        blockedBy = undefined;
        if (answer.status >= 200 && answer.status < 300) return answer;
        // Node-RED serves HTTP a moment before its flows start: the route is missing (404) while it restarts.
        if (answer.status === 404 && /Cannot POST/.test(String(answer.body))) {
          this.stats.routeMissing += 1;
          failures += 1;
          await sleep(this.backoff(failures));
          continue;
        }
        if (answer.status < 500) {
          this.stats.unexpected.push(`${id}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
          return answer;
        }
        failures += 1;
        await sleep(this.backoff(failures));
      }
      throw this.aborted ?? new Error('aborted');
    } finally {
      const left = (this.inFlight.get(id) ?? 1) - 1;
      if (left > 0) this.inFlight.set(id, left);
      else this.inFlight.delete(id);
    }
  }

  /** Exponential with jitter, 100 ms up to 2 s: a provider that keeps knocking while Node-RED restarts. */
  private backoff(failures: number): number {
    const ceiling = Math.min(2_000, 100 * 2 ** Math.min(failures, 5));
    return ceiling / 2 + (this.random() * ceiling) / 2;
  }
}
