/**
 * Dead letters grouped by what went wrong rather than by which record: the error text is normalised (record
 * references, ids, numbers, quoted values, e-mails, dates removed) into a signature, so "Record does not exist
 * (Record: res.partner(999999,))" and the same error for record 12 are one cluster.
 */
import { createHash } from 'node:crypto';
import type { DeadLetter, DeadLetterFilter, MiddlewareStore } from '../store/types';

/** Only the head of a message counts: tracebacks and long bodies say nothing more about the kind of failure. */
const MAX_SIGNATURE_TEXT = 300;

const RULES: Array<[RegExp, string]> = [
  // Odoo record references: res.partner(999999,) or sale.order(1, 2, 3)
  [/\b([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)+)\((?:\s*\d+\s*,?)*\)/gi, '$1(<ids>)'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/g, '<time>'],
  [/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '<email>'],
  [/https?:\/\/[^\s'"]+/g, '<url>'],
  // Quoted values, as Python's repr and most APIs write them
  [/'[^'\n]*'/g, "'<v>'"],
  [/"[^"\n]*"/g, '"<v>"'],
  [/«[^»\n]*»/g, '«<v>»'],
  // Words with digits: ids, references (S00016, SO-100), hex tokens, numbers
  [/[\w-]*\d[\w-]*/g, '<n>'],
];

/** The error text of a letter, without its record-specific parts. */
export function errorSignature(text: string): string {
  let s = text.split(/\n\s*Traceback \(most recent call last\)/)[0].slice(0, MAX_SIGNATURE_TEXT);
  for (const [pattern, replacement] of RULES) s = s.replace(pattern, replacement);
  return s.replace(/\s+/g, ' ').trim();
}

export interface ErrorCluster {
  /** Stable short id of the signature (same signature, same id, on every instance). */
  id: string;
  signature: string;
  kind?: string;
  code?: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** The latest letter of the cluster. */
  example: { id: string; message: string; correlationId?: string };
  nodeIds: string[];
}

function messageOf(letter: DeadLetter): string {
  const m = letter.error.message;
  return typeof m === 'string' ? m : JSON.stringify(m ?? letter.error.code ?? 'unknown error');
}

/** Clusters, largest first (then latest first). */
export function clusterLetters(letters: DeadLetter[]): ErrorCluster[] {
  const clusters = new Map<string, ErrorCluster>();
  for (const letter of letters) {
    const message = messageOf(letter);
    const code = typeof letter.error.code === 'string' ? letter.error.code : undefined;
    const signature = errorSignature(message);
    const key = `${letter.errorKind ?? ''}\u0000${code ?? ''}\u0000${signature}`;
    let cluster = clusters.get(key);
    if (!cluster) {
      cluster = {
        id: createHash('sha256').update(key).digest('hex').slice(0, 12),
        signature,
        count: 0,
        firstSeen: letter.createdAt,
        lastSeen: letter.createdAt,
        example: { id: letter.id, message },
        nodeIds: [],
      };
      if (letter.errorKind !== undefined) cluster.kind = letter.errorKind;
      if (code !== undefined) cluster.code = code;
      clusters.set(key, cluster);
    }
    cluster.count += 1;
    cluster.firstSeen = Math.min(cluster.firstSeen, letter.createdAt);
    if (letter.createdAt > cluster.lastSeen) {
      cluster.lastSeen = letter.createdAt;
      cluster.example = { id: letter.id, message };
      if (letter.correlationId !== undefined) cluster.example.correlationId = letter.correlationId;
    }
    if (!cluster.nodeIds.includes(letter.nodeId)) cluster.nodeIds.push(letter.nodeId);
  }
  return [...clusters.values()].sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
}

/** Letters read per store for clustering; the answer says when more matched. */
export const MAX_CLUSTERED_LETTERS = 5000;

/** Clusters of the letters matching `filter` (paging ignored) over every store the retry nodes use. */
export async function listClusters(
  stores: Array<Pick<MiddlewareStore, 'listDeadLetters'>>,
  filter: DeadLetterFilter,
): Promise<{ clusters: ErrorCluster[]; letters: number; total: number; truncated: boolean }> {
  const pages = await Promise.all(stores.map((s) => s.listDeadLetters({ ...filter, offset: 0, limit: MAX_CLUSTERED_LETTERS })));
  const letters = pages.flatMap((p) => p.items);
  const total = pages.reduce((sum, p) => sum + p.total, 0);
  return { clusters: clusterLetters(letters), letters: letters.length, total, truncated: total > letters.length };
}
