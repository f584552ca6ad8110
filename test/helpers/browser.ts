/**
 * The editor in a real browser: `npm start`'s entry point (dist/scripts/start.js, the sandbox on a free port) with a
 * temporary user directory and flow file, driven by playwright-core through Debian's Chromium. Without Chromium
 * the suite is skipped locally and fails under CI (env CI=true).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, startProcess, type RunningProcess } from './process';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const root = path.resolve(__dirname, '..', '..', '..');
export const IMAGES = path.join(root, 'docs', 'images');

export interface EditorApp {
  /** Node-RED's root, e.g. http://127.0.0.1:41234 (editor and HTTP-in routes). */
  base: string;
  /** The Odoo sandbox `npm start` started. */
  sandboxUrl: string;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

/** Skips the calling suite when Chromium is missing, except under CI where that is a failure. */
export function requireChromium(ctx: Mocha.Context): void {
  if (fs.existsSync(CHROMIUM)) return;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the browser tests cannot run (apt-get install -y chromium)`);
  console.log(`      skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
  ctx.skip();
}

export async function startEditorApp(flows: unknown[]): Promise<EditorApp> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-browser-'));
  const flowFile = path.join(dir, 'flows.json');
  fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), SANDBOX_PORT: '0', NODE_RED_USER_DIR: dir, NODE_RED_FLOW_FILE: flowFile };
  for (const name of ['ODOO_URL', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_API_KEY', 'ODOO_PASSWORD', 'NODE_RED_ADMIN_PASSWORD']) delete env[name];
  let proc: RunningProcess;
  try {
    proc = await startProcess(process.execPath, [path.join(root, 'dist', 'scripts', 'start.js')], { env, ready: /Started flows/, timeoutMs: 60_000 });
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const sandboxUrl = /Odoo sandbox listening on (http:\/\/[\d.:]+)/.exec(proc.output())?.[1] ?? '';
  return {
    base: `http://127.0.0.1:${port}`,
    sandboxUrl,
    dir,
    output: proc.output,
    async stop() {
      await proc.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface EditorPage {
  browser: Browser;
  page: Page;
  /** Errors the page logged or threw. */
  errors: string[];
  close(): Promise<void>;
}

export async function openEditor(base: string): Promise<EditorPage> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
  page.on('console', (m) => {
    // The editor reports a failing oneditprepare/oneditsave as a warning (or a log line) and goes on.
    if (m.type() === 'error' || /^(oneditprepare|oneditsave|oneditcancel|Definition error)/.test(m.text())) errors.push(m.text());
  });
  await page.goto(base);
  await page.waitForFunction(() => {
    const red = (window as unknown as { RED?: { nodes?: { getType(t: string): unknown } } }).RED;
    return Boolean(red?.nodes?.getType('odoo-read')) && document.querySelector('#red-ui-palette .red-ui-palette-node') !== null;
  }, undefined, { timeout: 30_000 });
  // Start-up notices would cover the canvas; closed the way their close button does.
  await page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n) => (n as HTMLElement & { close?: () => void }).close?.()));
  return {
    browser,
    page,
    errors,
    async close() {
      await browser.close();
    },
  };
}

/** Opens a node's edit dialog by double-clicking it on the canvas. */
export async function openNode(page: Page, id: string): Promise<void> {
  await page.evaluate((nodeId) => {
    const RED = (window as unknown as { RED: { nodes: { node(id: string): { z: string } }; workspaces: { show(id: string): void } } }).RED;
    RED.workspaces.show(RED.nodes.node(nodeId).z);
  }, id);
  await page.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick();
  await page.locator('.red-ui-tray .red-ui-tray-body').first().waitFor();
  await page.waitForTimeout(300);
}

/** Clicks Done in the open edit dialog. */
export async function closeDialog(page: Page, button: 'done' | 'cancel' = 'done'): Promise<void> {
  await page.locator(button === 'done' ? '#node-dialog-ok' : '#node-dialog-cancel').click();
  await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);
}

/** Deploys and waits for Node-RED to confirm it. */
export async function deploy(page: Page): Promise<void> {
  await page.locator('#red-ui-header-button-deploy').click();
  await page.locator('.red-ui-notification', { hasText: 'Successfully deployed' }).waitFor({ timeout: 15_000 });
  await page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n) => (n as HTMLElement & { close?: () => void }).close?.()));
}

/** Picks `text` from the autocomplete menu open under the focused input. */
export async function pickCompletion(page: Page, text: string): Promise<void> {
  const option = page.locator('.red-ui-autoComplete-container li', { hasText: text }).first();
  await option.waitFor({ timeout: 10_000 });
  await option.click();
}

/** Writes a screenshot of the topmost edit dialog to docs/images/<name>.png. */
export async function screenshotDialog(page: Page, name: string): Promise<string> {
  fs.mkdirSync(IMAGES, { recursive: true });
  const file = path.join(IMAGES, `${name}.png`);
  await page.locator('.red-ui-tray').last().screenshot({ path: file });
  return file;
}

/** Drags a node type from the palette onto the canvas; resolves with the new node's id. */
export async function dropFromPalette(page: Page, type: string, x: number, y: number): Promise<string> {
  const before = await page.evaluate(() => {
    const ids: string[] = [];
    (window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string }) => void): void } } }).RED.nodes.eachNode((n) => {
      ids.push(n.id);
    });
    return ids;
  });
  const source = page.locator(`#red-ui-palette .red-ui-palette-node[data-palette-type="${type}"]`).first();
  await source.waitFor({ state: 'visible', timeout: 15_000 });
  await source.scrollIntoViewIfNeeded();
  const box = await source.boundingBox();
  const canvas = await page.locator('#red-ui-workspace-chart').boundingBox();
  if (!box || !canvas) throw new Error(`palette node ${type} or canvas not visible`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(canvas.x + x, canvas.y + y, { steps: 20 });
  await page.mouse.up();
  const id = await page.waitForFunction((known: string[]) => {
    let found = '';
    (window as unknown as { RED: { nodes: { eachNode(cb: (n: { id: string }) => void): void } } }).RED.nodes.eachNode((n) => {
      if (!known.includes(n.id)) found = n.id;
    });
    return found || null;
  }, before, { timeout: 10_000 });
  return (await id.jsonValue()) as string;
}
