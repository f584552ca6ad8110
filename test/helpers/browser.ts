/**
 * The editor in a real browser: `npm start`'s entry point (dist/scripts/start.js, the sandbox on a free port) with a
 * temporary user directory and flow file, driven by playwright-core through Debian's Chromium. Without Chromium
 * the suite is skipped locally and fails under CI (env CI=true).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { freePort, type RunningProcess } from './process';
import { startNpmStart } from './npm-start';

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
  let proc: RunningProcess;
  try {
    proc = await startNpmStart({ userDir: dir, port, env: { NODE_RED_FLOW_FILE: flowFile } });
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
  // The editor shows its header toolbar, and in the same step selects its first sidebar tab, once it has loaded
  // the flows: a sidebar a test shows before then would be switched away.
  await page.locator('.red-ui-header-toolbar').waitFor({ state: 'visible', timeout: 30_000 });
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
  const tray = page.locator('.red-ui-tray .red-ui-tray-body').first();
  // Node-RED tells a double click from two clicks by their timing, which a loaded machine can stretch: try again.
  for (let attempt = 1; ; attempt += 1) {
    await page.locator(`g.red-ui-flow-node-group[id="${id}"] rect.red-ui-flow-node`).dblclick();
    try {
      await tray.waitFor({ timeout: 8_000 });
      break;
    } catch (err) {
      if (attempt === 3) throw err;
    }
  }
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

/** Clock times that differ on every run (a list's "as of", a letter's date, a hop's start), masked in screenshots. */
export const TIME_MASK = ['.odoo-picker-status', '.dl-time', '.trace-time'];

/**
 * Writes a PNG to docs/images/<name>.png unless the committed one shows the same picture: font rasterising
 * differs by a few pixels between runs, which would otherwise make every run rewrite every image.
 */
export function writeImage(name: string, png: Buffer): string {
  fs.mkdirSync(IMAGES, { recursive: true });
  const file = path.join(IMAGES, `${name}.png`);
  if (fs.existsSync(file) && samePicture(fs.readFileSync(file), png)) return file;
  fs.writeFileSync(file, png);
  return file;
}

/** Same size, and at most 0.01 % of the pixels differ by more than a faint anti-aliasing step (a changed word is hundreds). */
export function samePicture(a: Buffer, b: Buffer): boolean {
  const x = PNG.sync.read(a);
  const y = PNG.sync.read(b);
  if (x.width !== y.width || x.height !== y.height) return false;
  let differing = 0;
  for (let i = 0; i < x.data.length; i += 4) {
    const d = Math.max(Math.abs(x.data[i] - y.data[i]), Math.abs(x.data[i + 1] - y.data[i + 1]), Math.abs(x.data[i + 2] - y.data[i + 2]));
    if (d > 16) differing++;
  }
  return differing <= (x.width * x.height) / 10_000;
}

/** Writes a screenshot of the topmost edit dialog to docs/images/<name>.png, clock times masked. */
export async function screenshotDialog(page: Page, name: string): Promise<string> {
  return screenshotOf(page, page.locator('.red-ui-tray').last(), name);
}

/** Writes a screenshot of one element to docs/images/<name>.png, clock times and `mask` masked, animations stopped. */
export async function screenshotOf(page: Page, target: Locator, name: string, mask: Locator[] = []): Promise<string> {
  const png = await target.screenshot({ animations: 'disabled', caret: 'hide', mask: [...TIME_MASK.map((s) => page.locator(s)), ...mask], maskColor: '#e8e8e8' });
  return writeImage(name, png);
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
