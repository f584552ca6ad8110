import { ValidationError } from '../errors';
import type { CircuitOptions, CircuitState } from './types';

export const CIRCUIT_DEFAULTS: Required<CircuitOptions> = {
  failureThreshold: 5,
  coolDownMs: 30_000,
  windowMs: 30_000,
  minCalls: 10,
  failureRate: 0.5,
  slowCallMs: 30_000,
};

/** What the breaker says about one call about to start. */
export type CircuitPermit =
  | { allowed: true; probe: boolean }
  | { allowed: false; retryAfterMs: number; reopensAt: number };

/** How a call ended, as far as the breaker cares: only retryable failures say the server is in trouble. */
export type CallOutcome = 'success' | 'retryable_failure' | 'other_failure';

const PROBE_WAIT_HINT_MS = 1000;

/** The window is cut in this many buckets so a busy connection keeps a fixed-size tally. */
const BUCKETS_PER_WINDOW = 10;

interface Bucket {
  start: number;
  calls: number;
  failures: number;
}

/**
 * Closed -> open after `failureThreshold` consecutive retryable failures, or when at least `minCalls` calls in the
 * last `windowMs` failed at `failureRate` or more. Open fails fast for `coolDownMs`, then half_open lets exactly one
 * probe through: its success closes, a retryable failure re-opens. A non-retryable failure (validation, auth...)
 * proves the server answers, so it counts as a success here. Pure: time comes from the injected clock.
 */
export class CircuitBreaker {
  private readonly options: Required<CircuitOptions>;
  private currentState: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  private buckets: Bucket[] = [];
  private readonly listeners = new Set<(state: CircuitState) => void>();

  constructor(options: CircuitOptions = {}, private readonly now: () => number = Date.now) {
    this.options = { ...CIRCUIT_DEFAULTS, ...stripUndefined(options) };
    validateOptions(this.options);
  }

  get state(): CircuitState {
    return this.currentState;
  }

  /** Moment (epoch ms) when an open circuit lets its probe through. */
  get reopensAt(): number {
    return this.openedAt + this.options.coolDownMs;
  }

  /** Moves an open circuit whose cool-down is over to half_open, so listeners hear it before the next call. */
  refresh(): void {
    if (this.currentState === 'open' && this.now() >= this.reopensAt) this.transition('half_open');
  }

  acquire(): CircuitPermit {
    const now = this.now();
    this.refresh();
    if (this.currentState === 'open') return { allowed: false, retryAfterMs: this.reopensAt - now, reopensAt: this.reopensAt };
    if (this.currentState === 'half_open') {
      // The probe's answer is not known yet; a short hint keeps retrying callers from spinning.
      if (this.probeInFlight) {
        const retryAfterMs = Math.min(PROBE_WAIT_HINT_MS, this.options.coolDownMs);
        return { allowed: false, retryAfterMs, reopensAt: now + retryAfterMs };
      }
      this.probeInFlight = true;
      return { allowed: true, probe: true };
    }
    return { allowed: true, probe: false };
  }

  /** True while calls must fail fast without queueing (open, cool-down not over). */
  isOpen(): boolean {
    this.refresh();
    return this.currentState === 'open';
  }

  /**
   * A call still running after `slowCallMs` counts as a failure now, not when its timeout ends: an Odoo that accepts
   * connections but never answers opens the circuit within a slow-call period or two. `saturated` says every
   * connection slot is held by a slow call, so nothing else can get through anyway: that opens at once. The call's
   * own end must then not be recorded again.
   */
  recordSlow(probe: boolean, saturated: boolean): void {
    if (saturated && this.currentState === 'closed' && !probe) {
      this.open();
      return;
    }
    this.record('retryable_failure', probe);
  }

  record(outcome: CallOutcome, probe: boolean): void {
    if (probe) {
      this.probeInFlight = false;
      if (outcome === 'retryable_failure') this.open();
      else this.close();
      return;
    }
    // A call let through before the circuit opened may end while it is open or probing: it says nothing new.
    if (this.currentState !== 'closed') return;
    const failed = outcome === 'retryable_failure';
    this.consecutiveFailures = failed ? this.consecutiveFailures + 1 : 0;
    const bucket = this.currentBucket();
    bucket.calls += 1;
    if (failed) bucket.failures += 1;
    if (failed && (this.consecutiveFailures >= this.options.failureThreshold || this.rateExceeded())) this.open();
  }

  onChange(listener: (state: CircuitState) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private rateExceeded(): boolean {
    let calls = 0;
    let failures = 0;
    for (const b of this.buckets) {
      calls += b.calls;
      failures += b.failures;
    }
    return calls >= this.options.minCalls && failures / calls >= this.options.failureRate;
  }

  private currentBucket(): Bucket {
    const now = this.now();
    const width = Math.max(1, Math.floor(this.options.windowMs / BUCKETS_PER_WINDOW));
    const start = now - (now % width);
    this.buckets = this.buckets.filter((b) => b.start > now - this.options.windowMs);
    let last = this.buckets[this.buckets.length - 1];
    if (!last || last.start !== start) {
      last = { start, calls: 0, failures: 0 };
      this.buckets.push(last);
    }
    return last;
  }

  private open(): void {
    this.openedAt = this.now();
    this.reset();
    this.transition('open');
  }

  private close(): void {
    this.reset();
    this.transition('closed');
  }

  private reset(): void {
    this.consecutiveFailures = 0;
    this.buckets = [];
  }

  private transition(next: CircuitState): void {
    if (next === this.currentState) return;
    this.currentState = next;
    for (const listener of [...this.listeners]) {
      try {
        listener(next);
      } catch {
        // One broken listener (a node's status update) must not break the others or the call.
      }
    }
  }
}

function validateOptions(o: Required<CircuitOptions>): void {
  const positive = (name: keyof CircuitOptions) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ValidationError(`circuit.${name} must be a positive number (got ${JSON.stringify(v)})`);
    }
  };
  positive('failureThreshold');
  positive('coolDownMs');
  positive('windowMs');
  positive('minCalls');
  positive('slowCallMs');
  if (typeof o.failureRate !== 'number' || !(o.failureRate > 0 && o.failureRate <= 1)) {
    throw new ValidationError(`circuit.failureRate must be a number above 0 and at most 1 (got ${JSON.stringify(o.failureRate)})`);
  }
}

function stripUndefined<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
