import type { FaultOptions } from '../sandbox';

/** The faults every soak runs under: 10% 503, 5% serialization failures, 2% timeouts, 2% commit-then-drop, jitter. */
export const SOAK_FAULTS: FaultOptions = {
  latencyMs: [0, 20],
  unavailableRate: 0.1,
  serializationFailureRate: 0.05,
  timeoutRate: 0.02,
  commitThenDropRate: 0.02,
};
