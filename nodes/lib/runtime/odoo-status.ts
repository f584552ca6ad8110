import type { CircuitState } from '../odoo/types';
import { cleared, failed, waiting, type NodeStatus } from '../status';

/** Turns an error into the short red-ring reason users see under a node. */
export function statusForError(err: unknown): NodeStatus {
  const kind = (err as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'auth':
      return failed('authentication failed');
    case 'network':
      return failed('disconnected');
    case 'circuit_open':
      return failed('circuit open');
    case 'timeout':
      return failed('timeout');
    case 'validation':
      return failed('invalid input');
    case 'not_found':
      return failed('not found');
    case 'access':
      return failed('access denied');
    case undefined:
      return failed('error');
    default:
      return failed(String(kind).replace(/_/g, ' '));
  }
}

/** What a node shows when its connection's circuit breaker changes state. */
export function statusForCircuit(state: CircuitState): NodeStatus {
  if (state === 'open') return failed('circuit open');
  if (state === 'half_open') return waiting('circuit half-open');
  return cleared();
}
