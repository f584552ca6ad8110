#!/usr/bin/env node
/**
 * `odoo-middleware-lint [--format json] [--config FILE] FILE...`: the policy rules over exported flow files.
 * Exit 0 when no finding is an error, 1 when one is, 2 when a file or the config cannot be read.
 */
import * as fs from 'node:fs';
import { checkConfig, lintFlows, type LintConfig } from './engine';
import { RULES } from './rules';
import type { Finding } from './types';

export interface CliIo {
  readFile(path: string): string;
  out(text: string): void;
  err(text: string): void;
}

const USAGE = `Usage: odoo-middleware-lint [--format text|json] [--config lint.json] FILE...

Checks exported Node-RED flow files against the odoo-middleware policy rules.
Exit status: 0 no errors (warnings allowed), 1 at least one error, 2 unreadable file or bad arguments.

Options:
  --format text|json  text (default) for people; json prints [{rule, severity, nodeId, message, file}]
  --config FILE       JSON {"rules": {"<rule id>": "error" | "warn" | "off"}} to change severities
  --help              this text

Switch a rule off for one node, group or tab with a line in its info text (nrlint's syntax):
  // nrlint odoo-mw-webhook-unsigned:off

Rules:
${RULES.map((r) => `  ${r.id.padEnd(36)} ${r.severity.padEnd(6)} ${r.description}`).join('\n')}
`;

interface Options {
  format: 'text' | 'json';
  config?: string;
  files: string[];
  help: boolean;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = { format: 'text', files: [], help: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') options.help = true;
    else if (flag === '--format' || flag === '-f') {
      const format = value();
      if (format !== 'text' && format !== 'json') throw new UsageError(`--format is "text" or "json", not "${format}"`);
      options.format = format;
    } else if (flag === '--config' || flag === '-c') options.config = value();
    else if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}`);
    else options.files.push(arg);
  }
  return options;
}

class UsageError extends Error {}

export function run(args: readonly string[], io: CliIo): number {
  let options: Options;
  try {
    options = parseArgs(args);
  } catch (err: unknown) {
    io.err(`odoo-middleware-lint: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    io.out(USAGE);
    return 0;
  }
  if (options.files.length === 0) {
    io.err(`odoo-middleware-lint: name at least one flow file\n\n${USAGE}`);
    return 2;
  }
  let config: LintConfig = {};
  let failed = false;
  if (options.config !== undefined) {
    try {
      config = checkConfig(JSON.parse(io.readFile(options.config)));
    } catch (err: unknown) {
      io.err(`odoo-middleware-lint: ${options.config}: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const findings: Array<Finding & { file: string }> = [];
  for (const file of options.files) {
    try {
      const parsed: unknown = JSON.parse(io.readFile(file));
      findings.push(...lintFlows(parsed, config).map((f) => ({ ...f, file })));
    } catch (err: unknown) {
      failed = true;
      io.err(`odoo-middleware-lint: ${file}: ${(err as Error).message}\n`);
    }
  }
  io.out(options.format === 'json' ? `${JSON.stringify(findings, null, 2)}\n` : text(findings, options.files.length));
  if (failed) return 2;
  return findings.some((f) => f.severity === 'error') ? 1 : 0;
}

function text(findings: ReadonlyArray<Finding & { file: string }>, fileCount: number): string {
  const lines: string[] = [];
  for (const file of [...new Set(findings.map((f) => f.file))]) {
    lines.push(file);
    for (const f of findings.filter((x) => x.file === file)) lines.push(`  ${f.severity.padEnd(5)}  ${f.nodeId}  ${f.message}  [${f.rule}]`);
    lines.push('');
  }
  const errors = findings.filter((f) => f.severity === 'error').length;
  const warnings = findings.length - errors;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(`${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(fileCount, 'file')}`);
  return `${lines.join('\n')}\n`;
}

if (require.main === module) {
  process.exitCode = run(process.argv.slice(2), {
    readFile: (path) => fs.readFileSync(path, 'utf8'),
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
  });
}
