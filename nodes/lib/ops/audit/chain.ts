/** The hash chain of the audit log and its verification, the same for every backend. */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../idempotency/canonical';
import type { AuditEntry, AuditLog, AuditRecord, ChainPoint } from './types';

export const GENESIS_HASH = '0'.repeat(64);
export const GENESIS: ChainPoint = { seq: 0, hash: GENESIS_HASH };

/** SHA-256 of the previous hash and the canonical JSON of the entry's fields (seq included, hash excluded). */
export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { prevHash, ...fields } = entry;
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(fields)).digest('hex');
}

/** The entry that follows `head` in the chain. */
export function chained(record: AuditRecord, head: ChainPoint): AuditEntry {
  const entry: Omit<AuditEntry, 'hash'> = { ...withoutUndefined(record), seq: head.seq + 1, prevHash: head.hash };
  return { ...entry, hash: entryHash(entry) };
}

function withoutUndefined(record: AuditRecord): AuditRecord {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) if (value !== undefined) out[key] = value;
  return out as unknown as AuditRecord;
}

export interface ChainProblem {
  seq: number;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  anchor: ChainPoint;
  head: ChainPoint;
  /** The first problems found (at most 20). */
  problems: ChainProblem[];
}

const MAX_PROBLEMS = 20;
const BATCH = 1000;

/** Walks the chain oldest first: each entry's seq follows, its prevHash is the hash before, and its hash is its own. */
export async function verifyChain(log: AuditLog): Promise<VerifyReport> {
  const { anchor, head } = await log.bounds();
  const problems: ChainProblem[] = [];
  let expected = anchor;
  let entries = 0;
  for (;;) {
    const batch = await log.range(expected.seq, BATCH);
    if (batch.length === 0) break;
    for (const entry of batch) {
      entries += 1;
      if (entry.seq !== expected.seq + 1) problems.push({ seq: entry.seq, problem: `entries ${expected.seq + 1} to ${entry.seq - 1} are missing` });
      if (entry.prevHash !== expected.hash) problems.push({ seq: entry.seq, problem: 'prevHash is not the hash of the entry before' });
      const { hash, ...rest } = entry;
      if (entryHash(rest) !== hash) problems.push({ seq: entry.seq, problem: 'the entry was changed after it was written (its hash does not match)' });
      expected = { seq: entry.seq, hash: entry.hash };
      if (problems.length >= MAX_PROBLEMS) break;
    }
    if (problems.length >= MAX_PROBLEMS) break;
  }
  if (problems.length < MAX_PROBLEMS && (expected.seq !== head.seq || expected.hash !== head.hash)) {
    problems.push({ seq: head.seq, problem: `the chain ends at entry ${expected.seq} but the head says ${head.seq}: entries were removed from the end` });
  }
  return { ok: problems.length === 0, entries, anchor, head, problems: problems.slice(0, MAX_PROBLEMS) };
}
