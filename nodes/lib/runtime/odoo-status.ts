import type { CircuitState, KeyExpiry } from '../odoo/types';
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
    case 'policy':
      return failed('refused by policy');
    case 'paused':
      return failed('paused: credentials');
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

/** What the connection adds to every node's status: its environment label and an API key about to expire. */
export interface ConnectionNotice {
  environment?: string;
  keyExpiry?: KeyExpiry;
}

/** The key warning alone: yellow ring before the expiry date, red ring after, nothing otherwise. */
export function statusForKey(expiry: KeyExpiry | undefined): NodeStatus | undefined {
  if (expiry?.state === 'expiring') return waiting(`API key expires in ${expiry.daysLeft ?? 0} d`);
  if (expiry?.state === 'expired') return failed('API key expired');
  return undefined;
}

/**
 * A node's own status with the connection's notice: an error keeps its red ring, otherwise a key warning takes over
 * the colour; the environment label ends the text ("3 records · production"), and stands alone on an idle node.
 */
export function withConnectionNotice(status: NodeStatus, notice: ConnectionNotice): NodeStatus {
  const key = statusForKey(notice.keyExpiry);
  const parts = [status.text, key?.text, notice.environment].filter((t): t is string => typeof t === 'string' && t !== '');
  if (parts.length === (status.text ? 1 : 0)) return status;
  const base = status.fill === 'red' || !key ? status : key;
  return { ...base, text: [...new Set(parts)].join(' · ') };
}
