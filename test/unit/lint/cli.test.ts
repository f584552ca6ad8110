/** The CLI as CI runs it: a real child process, its exit code, stdout and stderr. */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const cli = path.resolve(__dirname, '..', '..', '..', 'nodes', 'lib', 'lint', 'cli.js');
const fixtures = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'lint');
const fixture = (name: string): string => path.join(fixtures, name);

function lint(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('odoo-middleware-lint CLI', function () {
  this.timeout(20_000);

  it('starts with a node shebang so npm can link it as a bin', () => {
    assert.match(fs.readFileSync(cli, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  });

  it('exits 0 on a clean flow and says so', () => {
    const { status, stdout } = lint(fixture('clean.json'));
    assert.equal(status, 0);
    assert.match(stdout, /0 errors, 0 warnings in 1 file/);
  });

  it('exits 1 when a finding is an error and prints [{rule, severity, nodeId, message}] with --format json', () => {
    const { status, stdout } = lint('--format', 'json', fixture('webhook-unsigned.json'), fixture('clean.json'));
    assert.equal(status, 1);
    const findings = JSON.parse(stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(findings.map((f) => [f.rule, f.severity, f.nodeId]).sort(), [
      ['odoo-mw-webhook-unsigned', 'error', 'hook-default'],
      ['odoo-mw-webhook-unsigned', 'error', 'hook-none'],
    ]);
    for (const f of findings) {
      assert.equal(typeof f.message, 'string');
      assert.equal(f.file, fixture('webhook-unsigned.json'));
    }
  });

  it('exits 0 when every finding is a warning', () => {
    const { status, stdout } = lint('--format=json', fixture('function-external-modules.json'));
    assert.equal(status, 0);
    assert.equal((JSON.parse(stdout) as unknown[]).length, 3);
  });

  it('prints findings for people by default, grouped by file, with the rule id', () => {
    const { status, stdout } = lint(fixture('write-unprotected.json'));
    assert.equal(status, 1);
    assert.match(stdout, /write-unprotected\.json\n {2}error {2}write-debug-only {2}odoo-write "create order" .*\[odoo-mw-write-unprotected\]/);
    assert.match(stdout, /2 errors, 1 warning in 1 file/);
  });

  it('takes severities from --config', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-lint-'));
    const config = path.join(dir, 'lint.json');
    fs.writeFileSync(config, JSON.stringify({ rules: { 'odoo-mw-webhook-unsigned': 'warn', 'odoo-mw-http-in-unauthenticated': 'error' } }));
    assert.equal(lint('--config', config, fixture('webhook-unsigned.json')).status, 0);
    assert.equal(lint('--config', config, fixture('http-in-unauthenticated.json')).status, 1);
    fs.writeFileSync(config, JSON.stringify({ rules: { 'no-such-rule': 'off' } }));
    const bad = lint('--config', config, fixture('clean.json'));
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown lint rule "no-such-rule"/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 with the reason for a missing file, a file that is not JSON and a bad option', () => {
    const missing = lint(fixture('nope.json'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.json: ENOENT/);
    const notJson = lint(path.join(fixtures, '..', '..', 'unit', 'lint', 'cli.test.ts'));
    assert.equal(notJson.status, 2);
    assert.match(notJson.stderr, /cli\.test\.ts: .*JSON/);
    const option = lint('--format', 'xml', fixture('clean.json'));
    assert.equal(option.status, 2);
    assert.match(option.stderr, /--format is "text" or "json"/);
    assert.equal(lint().status, 2);
  });

  it('documents every rule with its id and severity in --help', () => {
    const { status, stdout } = lint('--help');
    assert.equal(status, 0);
    for (const [id, severity] of [['odoo-mw-secret-in-flow', 'error'], ['odoo-mw-webhook-unsigned', 'error'], ['odoo-mw-write-unprotected', 'error'], ['odoo-mw-connection-policy', 'error'], ['odoo-mw-production-plain-http', 'warn'], ['odoo-mw-function-external-modules', 'warn'], ['odoo-mw-http-in-unauthenticated', 'warn']]) {
      assert.match(stdout, new RegExp(`${id} +${severity} `));
    }
  });
});
