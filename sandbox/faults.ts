/** Fault injection settings; rates are shares of eligible calls in [0, 1], drawn from one seeded random. */
export interface FaultOptions {
  /** Added before any eligible call is handled: fixed, or uniform in [min, max]. */
  latencyMs?: number | [number, number];
  /** 503 with an HTML body, like a proxy in front of a restarting Odoo. */
  unavailableRate?: number;
  /** Seconds sent as Retry-After on the 503 (none when unset). */
  unavailableRetryAfter?: number;
  /** 429 with Retry-After: 1. */
  rateLimitedRate?: number;
  /** psycopg2.errors.SerializationFailure after Odoo's own retries; nothing committed. */
  serializationFailureRate?: number;
  /** Socket destroyed before the call runs; nothing committed. */
  dropConnectionRate?: number;
  /** No answer at all until the client gives up; nothing committed. */
  timeoutRate?: number;
  /** The call runs and commits, then the socket is destroyed without a response: the unknown outcome. */
  commitThenDropRate?: number;
  /** Only calls on these models are eligible (default: all). */
  faultModels?: string[];
  /** Only these methods are eligible (default: all). */
  faultMethods?: string[];
}

export type FaultKind = 'unavailable' | 'rateLimited' | 'serializationFailure' | 'dropConnection' | 'timeout' | 'commitThenDrop';

const RATES: Array<[FaultKind, keyof FaultOptions]> = [
  ['unavailable', 'unavailableRate'],
  ['rateLimited', 'rateLimitedRate'],
  ['serializationFailure', 'serializationFailureRate'],
  ['dropConnection', 'dropConnectionRate'],
  ['timeout', 'timeoutRate'],
  ['commitThenDrop', 'commitThenDropRate'],
];

/** Rejects settings that would silently do nothing or the wrong thing. */
export function validateFaults(faults: FaultOptions): FaultOptions {
  if (typeof faults !== 'object' || faults === null || Array.isArray(faults)) {
    throw new TypeError('faults must be an object of FaultOptions');
  }
  let total = 0;
  for (const [, key] of RATES) {
    const rate = faults[key];
    if (rate === undefined) continue;
    if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new RangeError(`faults.${key} must be a number between 0 and 1`);
    total += rate;
  }
  if (total > 1 + 1e-9) throw new RangeError('the fault rates add up to more than 1');
  const latency = faults.latencyMs;
  const validLatency =
    latency === undefined ||
    (typeof latency === 'number' && latency >= 0) ||
    (Array.isArray(latency) && latency.length === 2 && latency.every((n) => typeof n === 'number' && n >= 0) && latency[0] <= latency[1]);
  if (!validLatency) throw new RangeError('faults.latencyMs must be a number >= 0 or [min, max]');
  return { ...faults };
}

/** mulberry32: tiny, fast and deterministic for a given seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isEligible(faults: FaultOptions, model: string | undefined, method: string | undefined): boolean {
  if (faults.faultModels && !(model !== undefined && faults.faultModels.includes(model))) return false;
  if (faults.faultMethods && !(method !== undefined && faults.faultMethods.includes(method))) return false;
  return true;
}

export function pickFault(faults: FaultOptions, random: () => number): FaultKind | undefined {
  const draw = random();
  let edge = 0;
  for (const [kind, key] of RATES) {
    edge += (faults[key] as number | undefined) ?? 0;
    if (draw < edge) return kind;
  }
  return undefined;
}

export function pickLatency(faults: FaultOptions, random: () => number): number {
  const latency = faults.latencyMs;
  if (latency === undefined) return 0;
  if (typeof latency === 'number') return latency;
  return latency[0] + (latency[1] - latency[0]) * random();
}
