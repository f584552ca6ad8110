#!/usr/bin/env node
/**
 * odoo-middleware-audit: checks or exports the audit log of a middleware store.
 *   odoo-middleware-audit verify --sqlite <file>
 *   odoo-middleware-audit verify --redis <url> [--prefix odoo-mw:] [--db 0]
 *   odoo-middleware-audit export (same store options)   JSON lines on stdout, oldest first
 * Exit code 0: chain intact (or export done); 1: the chain is broken; 2: bad arguments or the store is unreachable.
 */
import * as fs from 'node:fs';
import { verifyChain } from '../lib/ops/audit/chain';
import { createRedisAuditLog } from '../lib/ops/audit/redis';
import { createSqliteAuditLog } from '../lib/ops/audit/sqlite';
import type { AuditLog } from '../lib/ops/audit/types';
import { DEFAULT_KEY_PREFIX } from '../lib/store/redis';

const USAGE = `usage: odoo-middleware-audit <verify|export> (--sqlite <file> | --redis <url> [--prefix ${DEFAULT_KEY_PREFIX}] [--db 0])`;

class UsageError extends Error {}

function options(args: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i];
    const value = args[i + 1];
    if (!name.startsWith('--') || value === undefined) throw new UsageError(`expected --option value pairs, got "${args.slice(i).join(' ')}"`);
    out.set(name.slice(2), value);
  }
  return out;
}

function openLog(opts: Map<string, string>): AuditLog {
  const sqlite = opts.get('sqlite');
  const redis = opts.get('redis');
  if ((sqlite === undefined) === (redis === undefined)) throw new UsageError('give exactly one of --sqlite <file> and --redis <url>');
  if (sqlite !== undefined) {
    // Opening a missing file would create an empty store and report it intact.
    if (!fs.existsSync(sqlite)) throw new UsageError(`no SQLite store at ${sqlite}`);
    return createSqliteAuditLog(sqlite);
  }
  const db = Number(opts.get('db') ?? 0);
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`--db must be a whole number, got "${opts.get('db') ?? ''}"`);
  return createRedisAuditLog({ url: redis as string, keyPrefix: opts.get('prefix') ?? DEFAULT_KEY_PREFIX, db, connectTimeoutMs: 5000 });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'verify' && command !== 'export') throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  const log = openLog(options(rest));
  try {
    if (command === 'export') {
      const { anchor } = await log.bounds();
      for (let after = anchor.seq; ; ) {
        const batch = await log.range(after, 1000);
        if (batch.length === 0) break;
        process.stdout.write(batch.map((e) => `${JSON.stringify(e)}\n`).join(''));
        after = batch[batch.length - 1].seq;
      }
      return 0;
    }
    const report = await verifyChain(log);
    if (report.ok) {
      const span = report.entries === 0 ? 'no entries' : `${report.entries} entries, ${report.anchor.seq + 1} to ${report.head.seq}`;
      process.stdout.write(`audit chain intact: ${span}${report.anchor.seq > 0 ? ` (entries up to ${report.anchor.seq} removed by retention)` : ''}\n`);
      return 0;
    }
    process.stdout.write(`audit chain BROKEN: ${report.problems.length} problem(s) in ${report.entries} entries\n`);
    for (const p of report.problems) process.stdout.write(`  entry ${p.seq}: ${p.problem}\n`);
    return 1;
  } finally {
    await log.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`odoo-middleware-audit: ${err instanceof Error ? err.message : String(err)}\n${err instanceof UsageError ? `${USAGE}\n` : ''}`);
    process.exitCode = 2;
  },
);
