import { validateFaults, type FaultOptions } from './faults';
import { startSandbox, type Sandbox, type SandboxOptions } from './server';

export { startSandbox, SANDBOX_DEFAULTS, SANDBOX_UIDS } from './server';
export type { Sandbox, SandboxOptions, SandboxStats, RecordedRequest } from './server';
export type { FaultKind, FaultOptions } from './faults';

/**
 * Options from the environment: SANDBOX_PORT, SANDBOX_HOST, SANDBOX_FAULTS (JSON of FaultOptions),
 * SANDBOX_UNIQUE_CLIENT_ORDER_REF=1, SANDBOX_SEED, SANDBOX_DATABASES (comma-separated).
 */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  const options: SandboxOptions = {};
  if (env.SANDBOX_PORT) {
    const port = Number(env.SANDBOX_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`SANDBOX_PORT must be a port number, got '${env.SANDBOX_PORT}'`);
    options.port = port;
  }
  if (env.SANDBOX_HOST) options.host = env.SANDBOX_HOST;
  if (env.SANDBOX_FAULTS) {
    let faults: unknown;
    try {
      faults = JSON.parse(env.SANDBOX_FAULTS);
    } catch {
      throw new SyntaxError(`SANDBOX_FAULTS must be a JSON object of FaultOptions, got '${env.SANDBOX_FAULTS}'`);
    }
    options.faults = validateFaults(faults as FaultOptions);
  }
  if (env.SANDBOX_UNIQUE_CLIENT_ORDER_REF === '1' || env.SANDBOX_UNIQUE_CLIENT_ORDER_REF === 'true') {
    options.uniqueConstraints = { clientOrderRef: true };
  }
  if (env.SANDBOX_SEED) {
    const seed = Number(env.SANDBOX_SEED);
    if (!Number.isInteger(seed)) throw new RangeError(`SANDBOX_SEED must be an integer, got '${env.SANDBOX_SEED}'`);
    options.seed = seed;
  }
  if (env.SANDBOX_DATABASES) options.databases = env.SANDBOX_DATABASES.split(',').map((s) => s.trim()).filter(Boolean);
  return options;
}

export function startSandboxFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<Sandbox> {
  return startSandbox(sandboxOptionsFromEnv(env));
}
