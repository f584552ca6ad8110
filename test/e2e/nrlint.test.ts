/**
 * The lint rules inside nrlint, Node-RED's flow linter, installed the way a user does: this package's tarball and
 * nrlint in a fresh Node-RED user dir. The editor's plugin registers, nrlint's own worker script loads the rules
 * from the URL the plugin names and lints a flow with them, nrlint's CLI loads them as a plugin, and npm links
 * the odoo-middleware-lint bin.
 * Install scripts are skipped: native addons (better-sqlite3) are the package test's concern, not the linter's.
 * NODE_RED_JS and NODE_BIN run it against another Node-RED (e.g. 5 under Node 24).
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { freePort, getJson, startProcess, type RunningProcess } from '../helpers/process';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'lint');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; devDependencies: Record<string, string> };
const RULE_IDS = ['odoo-mw-secret-in-flow', 'odoo-mw-webhook-unsigned', 'odoo-mw-write-unprotected', 'odoo-mw-connection-policy', 'odoo-mw-production-plain-http', 'odoo-mw-function-external-modules', 'odoo-mw-http-in-unauthenticated'];

interface PluginSet {
  id: string;
  module: string;
  err?: string;
  plugins?: Array<{ id: string }>;
}

interface WorkerMessage {
  cmd: string;
  rule?: string;
  result?: Array<{ rule: string; severity: string; location: string[]; message: string }>;
}

async function text(url: string, accept = '*/*'): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers: { accept } });
  return { status: res.status, body: await res.text() };
}

describe('nrlint plugin', function () {
  this.timeout(300_000);
  let work: string;
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-nrlint-'));
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    const tarball = path.join(work, (JSON.parse(packed) as Array<{ filename: string }>)[0].filename);
    userDir = path.join(work, 'userdir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), '{ "name": "node-red-project", "private": true }\n');
    execFileSync('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', tarball, `nrlint@${pkg.devDependencies.nrlint}`], { cwd: userDir, stdio: 'pipe' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startProcess(process.env.NODE_BIN ?? process.execPath, [process.env.NODE_RED_JS ?? require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(port)], {
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
      ready: /Server now running at/,
      timeoutMs: 60_000,
    });
  });

  after(async function () {
    await red?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('registers beside nrlint in the editor with no error', async function () {
    const { status, body } = await getJson(`${base}/plugins`);
    assert.equal(status, 200);
    const sets = body as PluginSet[];
    const ours = sets.find((s) => s.id === `${pkg.name}/odoo-middleware-lint`);
    assert.ok(ours, `not registered: ${sets.map((s) => s.id).join(', ')}`);
    assert.equal(ours.err, undefined, `failed to load: ${ours.err}`);
    assert.ok(sets.some((s) => s.module === 'nrlint' && !s.err), 'nrlint itself did not load');
    const editor = await text(`${base}/plugins`, 'text/html');
    assert.match(editor.body, /registerPlugin\('odoo-middleware-lint', \{\s*type: 'nrlint-rule'/);
  });

  it("loads into nrlint's editor worker from the URL the plugin names and lints a flow", async function () {
    const editor = await text(`${base}/plugins`, 'text/html');
    const worker = /worker: '([^']+)'/.exec(editor.body.slice(editor.body.indexOf("registerPlugin('odoo-middleware-lint'")))?.[1];
    assert.ok(worker, 'the plugin names no worker script');
    const workerUrl = `${base}/resources/nrlint/nrlint-worker.js`;
    const core = await text(workerUrl);
    assert.equal(core.status, 200, 'nrlint worker not served');
    // nrlint's sidebar posts {cmd: 'load', url: '../' + worker}, resolved against its worker's URL.
    const rulesUrl = new URL(`../${worker}`, workerUrl).href;
    const rules = await text(rulesUrl);
    assert.equal(rules.status, 200, `${rulesUrl} not served`);

    const posted: WorkerMessage[] = [];
    const scope: Record<string, unknown> = {
      console: { log: () => undefined },
      atob,
      postMessage: (m: WorkerMessage) => posted.push(m),
      importScripts: (url: string) => {
        assert.equal(url, `../${worker}`);
        vm.runInContext(rules.body, context, { filename: rulesUrl });
      },
    };
    scope.self = scope;
    const context = vm.createContext(scope);
    vm.runInContext(core.body, context, { filename: workerUrl });
    const onmessage = context.onmessage as (e: { data: unknown }) => void;
    onmessage({ data: { cmd: 'load', url: `../${worker}` } });
    assert.deepEqual(posted.filter((m) => m.cmd === 'ruleAdded').map((m) => String(m.rule)).sort(), [...RULE_IDS].sort());

    const flow = JSON.parse(fs.readFileSync(path.join(fixtures, 'write-unprotected.json'), 'utf8')) as unknown;
    onmessage({ data: { cmd: 'lint', flow, config: { rules: Object.fromEntries(RULE_IDS.map((id) => [id, {}])) } } });
    // Copied out of the worker's realm so deepEqual compares values, not prototypes.
    const result = JSON.parse(JSON.stringify(posted.find((m) => m.cmd === 'result')?.result ?? [])) as NonNullable<WorkerMessage['result']>;
    const unprotected = result.filter((r) => r.rule === 'odoo-mw-write-unprotected');
    assert.deepEqual(unprotected.map((r) => r.location[0]).sort(), ['write-debug-only', 'write-scheduled']);
    assert.ok(unprotected.every((r) => r.severity === 'error'));
  });

  it("runs in nrlint's CLI as a plugin, with nrlint's ignore comments", function () {
    const config = path.join(userDir, '.nrlintrc.js');
    fs.writeFileSync(
      config,
      `module.exports = ${JSON.stringify({ plugins: [`${pkg.name}/dist/nodes/lib/lint/nrlint-plugin`], rules: Object.fromEntries(RULE_IDS.map((id) => [id, true])) })};\n`,
    );
    const nrlint = (fixture: string) =>
      spawnSync(process.env.NODE_BIN ?? process.execPath, [path.join(userDir, 'node_modules', 'nrlint', 'bin', 'nrlint.js'), '--config', config, '-f', 'json', path.join(fixtures, fixture)], { encoding: 'utf8' });
    const run = nrlint('webhook-unsigned.json');
    assert.equal(run.status, 1, run.stderr);
    const found = JSON.parse(run.stdout) as Array<{ rule: string; location: string[] }>;
    // hook-off carries "// nrlint odoo-mw-webhook-unsigned:off" in its info.
    assert.deepEqual(found.map((f) => `${f.rule} ${f.location[0]}`).sort(), ['odoo-mw-webhook-unsigned hook-default', 'odoo-mw-webhook-unsigned hook-none']);
    const secretNodes = (JSON.parse(nrlint('secret-in-flow.json').stdout) as Array<{ location: string[] }>).map((f) => f.location[0]);
    assert.ok(secretNodes.includes('comment-key'), 'info texts reach the rules');
  });

  it('links the odoo-middleware-lint bin', function () {
    const bin = path.join(userDir, 'node_modules', '.bin', 'odoo-middleware-lint');
    const run = spawnSync(bin, ['--format', 'json', path.join(fixtures, 'connection-policy.json')], { encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(process.env.NODE_BIN ?? process.execPath)}:${process.env.PATH ?? ''}` } });
    assert.equal(run.status, 1, run.stderr);
    assert.equal((JSON.parse(run.stdout) as Array<{ rule: string }>).filter((f) => f.rule === 'odoo-mw-connection-policy').length, 6);
  });
});
