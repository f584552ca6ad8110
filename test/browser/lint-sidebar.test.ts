/**
 * The lint rules in nrlint's Linter sidebar, in Chromium: this package's tarball and nrlint installed in a fresh
 * user dir, the rules named in settings as the README says. The sidebar lists the findings of a flow, and fixing a
 * node in its dialog clears its finding on the next automatic lint. The screenshot goes to docs/images/.
 */
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { closeDialog, IMAGES, openEditor, openNode, requireChromium, type EditorPage } from '../helpers/browser';
import { freePort, startProcess, type RunningProcess } from '../helpers/process';

const root = path.resolve(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'lint');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const RULES = ['odoo-mw-secret-in-flow', 'odoo-mw-webhook-unsigned', 'odoo-mw-write-unprotected', 'odoo-mw-connection-policy', 'odoo-mw-production-plain-http', 'odoo-mw-function-external-modules', 'odoo-mw-http-in-unauthenticated'];

interface Shown {
  severity: 'error' | 'warn';
  text: string;
}

async function sidebarFindings(page: Page): Promise<Shown[]> {
  return page.$$eval('.red-ui-nrlint-result', (items) =>
    items.map((item) => ({ severity: item.classList.contains('red-ui-nrlint-result-error') ? 'error' : 'warn', text: (item as HTMLElement).innerText.replace(/\s+/g, ' ') }) as Shown),
  );
}

describe('editor: lint rules in the nrlint sidebar', function () {
  this.timeout(300_000);
  let work: string | undefined;
  let red: RunningProcess | undefined;
  let editor: EditorPage | undefined;
  let page: Page;

  before(async function () {
    requireChromium(this);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-lint-sidebar-'));
    const packed = execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    const tarball = path.join(work, (JSON.parse(packed) as Array<{ filename: string }>)[0].filename);
    const userDir = path.join(work, 'userdir');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), '{ "name": "node-red-project", "private": true }\n');
    // Install scripts skipped: the native store addon plays no part in the editor's linting.
    execFileSync('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', tarball, `nrlint@${pkg.devDependencies.nrlint}`], { cwd: userDir, stdio: 'pipe' });
    const flows = [...(JSON.parse(fs.readFileSync(path.join(fixtures, 'webhook-unsigned.json'), 'utf8')) as unknown[]), ...(JSON.parse(fs.readFileSync(path.join(fixtures, 'http-in-unauthenticated.json'), 'utf8')) as unknown[])];
    fs.writeFileSync(path.join(userDir, 'flows.json'), JSON.stringify(flows, null, 2));
    const settings = path.join(userDir, 'settings.js');
    fs.writeFileSync(settings, `module.exports = ${JSON.stringify({ flowFile: 'flows.json', telemetry: { enabled: false }, editorTheme: { tours: false }, nrlint: { rules: Object.fromEntries(RULES.map((r) => [r, true])) } })};\n`);
    const port = await freePort();
    red = await startProcess(process.execPath, [require.resolve('node-red/red.js'), '--userDir', userDir, '--settings', settings, '--port', String(port)], {
      env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
      ready: /Started flows/,
      timeoutMs: 60_000,
    });
    editor = await openEditor(`http://127.0.0.1:${port}`);
    page = editor.page;
  });

  after(async () => {
    await editor?.close();
    await red?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('lists the findings with their severity, leaving out the node whose info switches the rule off', async () => {
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-nrlint-result').length >= 4, undefined, { timeout: 30_000 });
    // The editor opens on the info tab once it has loaded the flows; the Linter tab is one click away.
    await page.evaluate(() => (window as unknown as { RED: { sidebar: { show(id: string): void } } }).RED.sidebar.show('lint'));
    await page.locator('.red-ui-nrlint-results').waitFor({ state: 'visible' });
    const shown = await sidebarFindings(page);
    const errors = shown.filter((s) => s.severity === 'error').map((s) => s.text);
    const warnings = shown.filter((s) => s.severity === 'warn').map((s) => s.text);
    assert.equal(errors.length, 2, errors.join('\n'));
    assert.ok(errors.some((t) => t.includes('/hooks/open')) && errors.some((t) => t.includes('/hooks/default')), errors.join('\n'));
    assert.ok(!shown.some((s) => s.text.includes('/hooks/internal')), 'the finding switched off in the info text is shown');
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.ok(warnings.every((t) => /with no authentication on the way/.test(t)));
    assert.match(await page.locator('#red-ui-sidebar-content .red-ui-nrlint-status').innerText(), /2\s+2/);
    fs.mkdirSync(IMAGES, { recursive: true });
    await page.screenshot({ path: path.join(IMAGES, 'lint-sidebar.png') });
  });

  it('drops a finding once the node is fixed in its dialog', async () => {
    await openNode(page, 'hook-none');
    await page.locator('#node-input-scheme').selectOption('github');
    await closeDialog(page);
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-nrlint-result-error').length === 1, undefined, { timeout: 15_000 });
    const errors = (await sidebarFindings(page)).filter((s) => s.severity === 'error');
    assert.ok(errors[0].text.includes('/hooks/default'), errors[0].text);
  });
});
