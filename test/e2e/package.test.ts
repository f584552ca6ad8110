/**
 * The published package: `npm pack`, installed into a fresh Node-RED user dir the way the palette manager does,
 * registers every node with no error and lists its example flows.
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, getJson, startProcess, type RunningProcess } from '../helpers/process';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  'node-red': { nodes: Record<string, string>; plugins?: Record<string, string> };
  bin?: Record<string, string>;
};

interface NodeSet {
  id: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: string;
}

describe('npm package', function () {
  this.timeout(300_000);
  let work: string;
  let tarball: string;
  let files: string[];
  let red: RunningProcess | undefined;
  let base: string;

  before(async function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-pack-'));
    // The suite runs after `npm run build`; prepack would only rebuild.
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    const info = JSON.parse(packed) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = path.join(work, info[0].filename);
    files = info[0].files.map((f) => f.path);

    const userDir = path.join(work, 'userdir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), '{ "name": "node-red-project", "private": true }\n');
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: userDir, stdio: 'pipe' });

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startProcess(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--port', String(port)], {
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
      ready: /Server now running at/,
      timeoutMs: 60_000,
    });
  });

  after(async function () {
    await red?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('contains what Node-RED needs and nothing else', function () {
    for (const file of Object.values(pkg['node-red'].nodes)) {
      assert.ok(files.includes(file), `${file} is missing from the tarball`);
      assert.ok(files.includes(file.replace(/\.js$/, '.html')), `${file.replace(/\.js$/, '.html')} is missing`);
    }
    assert.ok(files.some((f) => f.startsWith('dist/nodes/locales/en-US/')), 'locales are missing');
    assert.ok(files.some((f) => f.startsWith('dist/nodes/icons/')), 'icons are missing');
    assert.ok(files.some((f) => f.startsWith('examples/')), 'examples are missing');
    for (const bin of Object.values(pkg.bin ?? {})) {
      assert.ok(files.includes(bin), `${bin} is missing from the tarball`);
      assert.match(fs.readFileSync(path.join(root, bin), 'utf8'), /^#!\/usr\/bin\/env node\n/, `${bin} starts with a node shebang`);
    }
    const strays = files.filter((f) => /^(test|sandbox|bench|scripts|flows|dist\/(test|sandbox|bench|scripts))\//.test(f) || f.endsWith('.ts') || f.endsWith('.map'));
    assert.deepEqual(strays, [], 'the tarball carries files users do not need');
  });

  it('installs the odoo-middleware-audit command', function () {
    const bin = path.join(work, 'userdir', 'node_modules', '.bin', 'odoo-middleware-audit');
    const result = spawnSync(bin, [], { encoding: 'utf8' });
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /usage: odoo-middleware-audit <verify\|export>/);
  });

  it('exports jsonBodyGuard for a settings file', function () {
    const installed = path.join(work, 'userdir', 'node_modules', pkg.name);
    const exported = execFileSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(installed)}).jsonBodyGuard())`], { encoding: 'utf8' });
    assert.equal(exported, 'function');
  });

  it('registers every node with no error', async function () {
    const { status, body } = await getJson(`${base}/nodes`);
    assert.equal(status, 200);
    const sets = (body as NodeSet[]).filter((s) => s.module === pkg.name);
    const expected = Object.keys(pkg['node-red'].nodes);
    for (const name of expected) {
      const set = sets.find((s) => s.id === `${pkg.name}/${name}`);
      assert.ok(set, `node set ${name} is not registered`);
      assert.equal(set.err, undefined, `node set ${name} failed to load: ${set.err}`);
      assert.ok(set.enabled, `node set ${name} is not enabled`);
    }
    const types = sets.flatMap((s) => s.types);
    assert.ok(types.includes('odoo-connection') && types.includes('odoo-read') && types.includes('odoo-write'), `types: ${types.join(', ')}`);
    assert.ok(!/\[red\].*Error/.test(red?.output() ?? ''), `Node-RED logged errors:\n${red?.output()}`);
  });

  it('registers the tracing plugin with no error', async function () {
    const { status, body } = await getJson(`${base}/plugins`);
    assert.equal(status, 200);
    const sets = (body as NodeSet[]).filter((s) => s.module === pkg.name);
    for (const name of Object.keys(pkg['node-red'].plugins ?? {})) {
      const set = sets.find((s) => s.id === `${pkg.name}/${name}`);
      assert.ok(set, `plugin ${name} is not registered`);
      assert.equal(set.err, undefined, `plugin ${name} failed to load: ${set.err}`);
    }
  });

  it('lists an example flow for each node under Import > Examples', async function () {
    const { status, body } = await getJson(`${base}/library/examples/flows/${pkg.name}`);
    assert.equal(status, 200, JSON.stringify(body));
    const listed = (body as Array<{ fn: string }>).map((entry) => entry.fn);
    const shipped = fs.readdirSync(path.join(root, 'flows', 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    assert.ok(shipped.length > 0, 'no example flows in flows/examples');
    assert.deepEqual([...listed].sort(), [...shipped].sort());
  });
});
