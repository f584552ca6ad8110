/** Soak options from argv (`--orders 10000 --backend sqlite`) with environment fallbacks (SOAK_ORDERS...). */
export type Backend = 'sqlite' | 'redis';

export interface SoakOptions {
  backends: Backend[];
  orders: number;
  /** Simultaneous webhook deliveries, like a provider's worker pool. */
  concurrency: number;
  /** Node-RED kill -9 count per backend run. */
  kills: number;
  /** Guard lease in seconds (short, so orphaned claims are taken over quickly). */
  leaseSeconds: number;
  /** Odoo connection timeout in seconds (the sandbox's timeout fault holds the socket until then). */
  odooTimeoutSeconds: number;
  /** Odoo connection concurrency cap in the soak's copy of the flow. */
  odooConcurrency: number;
  /** Consecutive retryable failures that open the connection's circuit in the soak's copy (0 = breaker off). */
  circuitThreshold: number;
  /** Seconds the circuit stays open before its probe call. */
  circuitCoolDownSeconds: number;
  redisUrl: string;
  seed: number;
  /** Abort a backend run after this long (ms). */
  deadlineMs: number;
  /** The sandbox's unique constraint on sale.order.client_order_ref (off shows what it protects against). */
  uniqueRef: boolean;
}

const USAGE = `usage: node dist/soak/run.js [--backend sqlite|redis] [--orders N] [--concurrency N] [--kills N]
  [--lease S] [--odoo-timeout S] [--odoo-concurrency N] [--circuit-threshold N] [--circuit-cool-down S]
  [--seed N] [--deadline-min M] [--unique-ref on|off]
env: SOAK_BACKEND, SOAK_ORDERS, SOAK_CONCURRENCY, SOAK_KILLS, SOAK_SEED, REDIS_URL`;

function positiveInt(name: string, raw: string | undefined, fallback: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be an integer >= ${min}, got '${raw}'\n${USAGE}`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): SoakOptions {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unexpected argument '${arg}'\n${USAGE}`);
    const value = match[2] ?? argv[(i += 1)];
    if (value === undefined) throw new Error(`--${match[1]} needs a value\n${USAGE}`);
    args.set(match[1], value);
  }
  const known = ['backend', 'orders', 'concurrency', 'kills', 'lease', 'odoo-timeout', 'odoo-concurrency', 'circuit-threshold', 'circuit-cool-down', 'seed', 'deadline-min', 'unique-ref'];
  for (const name of args.keys()) if (!known.includes(name)) throw new Error(`unknown option --${name}\n${USAGE}`);

  const uniqueRef = args.get('unique-ref') ?? 'on';
  if (uniqueRef !== 'on' && uniqueRef !== 'off') throw new Error(`--unique-ref must be on or off, got '${uniqueRef}'\n${USAGE}`);
  const backend = args.get('backend') ?? env.SOAK_BACKEND ?? '';
  if (backend !== '' && backend !== 'sqlite' && backend !== 'redis') throw new Error(`--backend must be sqlite or redis, got '${backend}'\n${USAGE}`);
  return {
    backends: backend === '' ? ['sqlite', 'redis'] : [backend],
    orders: positiveInt('--orders', args.get('orders') ?? env.SOAK_ORDERS, 10_000),
    concurrency: positiveInt('--concurrency', args.get('concurrency') ?? env.SOAK_CONCURRENCY, 32),
    kills: positiveInt('--kills', args.get('kills') ?? env.SOAK_KILLS, 3, 0),
    leaseSeconds: positiveInt('--lease', args.get('lease'), 3),
    odooTimeoutSeconds: positiveInt('--odoo-timeout', args.get('odoo-timeout'), 2),
    odooConcurrency: positiveInt('--odoo-concurrency', args.get('odoo-concurrency'), 16),
    circuitThreshold: positiveInt('--circuit-threshold', args.get('circuit-threshold'), 6, 0),
    circuitCoolDownSeconds: positiveInt('--circuit-cool-down', args.get('circuit-cool-down'), 2),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    seed: positiveInt('--seed', args.get('seed') ?? env.SOAK_SEED, Date.now() % 1_000_000, 0),
    deadlineMs: positiveInt('--deadline-min', args.get('deadline-min'), 15) * 60_000,
    uniqueRef: uniqueRef === 'on',
  };
}
