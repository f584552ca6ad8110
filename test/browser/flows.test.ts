/**
 * Every node type of the package set through its dialog in Chromium against `npm start`, deployed, and its flow
 * run (an inject button or an HTTP request) with the answer read where a user reads it: the debug sidebar or the
 * HTTP response. Also the canonical mapper's preview and suggester, and the Traces and Dead letters sidebars
 * (their screenshots go to docs/images/ for the README). odoo-read and odoo-write are run the same way by
 * odoo-pickers.test.ts.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { closeDialog, deploy, openEditor, openNode, requireChromium, screenshotOf, startEditorApp, type EditorApp, type EditorPage } from '../helpers/browser';
import { PRESET_SAMPLES } from '../../nodes/lib/canonical/presets/samples';

const TAB = 'e0000000000000t1';
const ELSEWHERE = 'e0000000000000t2';
const STORE = 'e00000000000sto1';
const BUS = 'e00000000000bus1';

const debug = (id: string, name: string, x: number, y: number, complete = 'payload') => ({ id, type: 'debug', z: TAB, name, active: true, tosidebar: true, console: false, tostatus: false, complete, targetType: complete === 'true' ? 'full' : 'msg', x, y, wires: [] });
const inject = (id: string, name: string, payload: unknown, x: number, y: number, wire: string) => ({ id, type: 'inject', z: TAB, name, props: [{ p: 'payload' }], repeat: '', once: false, topic: '', payload: JSON.stringify(payload), payloadType: 'json', x, y, wires: [[wire]] });

/** One row per node type, left to right; what each test sets through the dialog starts out different here. */
const FLOWS = [
  { id: TAB, type: 'tab', label: 'Every node', info: 'Each node type of the package, set and run by the browser tests.' },
  { id: ELSEWHERE, type: 'tab', label: 'Elsewhere', info: 'Another flow, to see a hop revealed from the traces sidebar.' },
  { id: STORE, type: 'middleware-store', name: 'test store', backend: 'sqlite', path: '' },
  { id: BUS, type: 'event-bus', name: 'test bus', backend: 'sqlite', path: '' },

  inject('e000000000inj001', 'order A1', { id: 'A1', total: 10 }, 110, 40, 'e0000000000guard'),
  { id: 'e0000000000guard', type: 'idempotency-guard', z: TAB, name: 'claim order', store: STORE, namespace: 'default', key: 'payload.id', keyType: 'msg', leaseSeconds: 300, x: 300, y: 40, wires: [['e00000000complet'], ['e000000000dbgdup'], ['e000000000dbgbsy']] },
  { id: 'e00000000complet', type: 'idempotency-complete', z: TAB, name: 'mark done', store: STORE, mode: 'failure', ttlSeconds: 86400, x: 480, y: 30, wires: [['e000000000dbgfst']] },
  debug('e000000000dbgfst', 'first sight', 650, 30, 'idempotency'),
  debug('e000000000dbgdup', 'duplicate', 480, 70, 'idempotency'),
  debug('e000000000dbgbsy', 'busy', 480, 100, 'idempotency'),

  inject('e000000000inj002', 'shop order', PRESET_SAMPLES['shopify-order'], 110, 160, 'e00000000000map1'),
  { id: 'e00000000000map1', type: 'canonical-mapper', z: TAB, name: 'map shop order', mode: 'preset', preset: 'woocommerce-order', rules: [], schemaType: 'none', schema: '', defaultCurrency: '', x: 300, y: 160, wires: [['e000000000dbgmap'], ['e000000000dbgmrr']] },
  debug('e000000000dbgmap', 'mapped', 480, 150),
  debug('e000000000dbgmrr', 'not mapped', 480, 190, 'error'),

  { id: 'e00000000000hook', type: 'webhook-in', z: TAB, name: 'order webhook', path: '/browser/old-hook', method: 'post', scheme: 'none', responseMode: 'ack', contentTypes: 'application/json', maxBody: 1048576, inboxConcurrency: 1, inboxLease: 30, inboxMaxDeliveries: 5, x: 120, y: 260, wires: [['e00000000tracer1']] },
  { id: 'e00000000tracer1', type: 'correlation-tracer', z: TAB, name: 'trace order', setHeaders: true, x: 300, y: 260, wires: [['e0000000000paid1']] },
  { id: 'e0000000000paid1', type: 'switch', z: TAB, name: 'paid?', property: 'payload.paid', propertyType: 'msg', rules: [{ t: 'true' }, { t: 'else' }], checkall: 'false', repair: false, outputs: 2, x: 460, y: 260, wires: [['e000000000dbgpay'], ['e000000000dbgunp']] },
  debug('e000000000dbgpay', 'paid', 620, 240, 'correlationId'),
  debug('e000000000dbgunp', 'unpaid', 620, 280, 'correlationId'),

  inject('e000000000inj003', 'stock change', { sku: 'S1', qty: 4 }, 110, 360, 'e0000000000publ1'),
  { id: 'e0000000000publ1', type: 'event-publish', z: TAB, name: 'publish stock', bus: BUS, topic: 'draft.topic', key: 'payload.sku', keyType: 'msg', x: 300, y: 360, wires: [['e000000000dbgpub']] },
  debug('e000000000dbgpub', 'published', 480, 360, 'event'),
  { id: 'e0000000000subs1', type: 'event-subscribe', z: TAB, name: 'stock to Odoo', bus: BUS, store: STORE, topic: 'draft.topic', group: 'odoo', concurrency: 1, leaseSeconds: 30, maxDeliveries: 5, ordered: false, baseDelayMs: 1000, maxDelayMs: 60000, x: 120, y: 420, wires: [['e00000000000ack1']] },
  { id: 'e00000000000ack1', type: 'event-ack', z: TAB, name: 'settle', action: 'nack', x: 300, y: 420, wires: [['e000000000dbgack']] },
  debug('e000000000dbgack', 'settled', 480, 420, 'event'),

  inject('e000000000inj004', 'write invoice', { invoice: 'INV-1' }, 110, 520, 'e00000000000fail'),
  { id: 'e00000000000fail', type: 'function', z: TAB, name: 'Odoo down unless replayed', func: "if (msg.retry && msg.retry.replayOf) return msg;\nthrow new Error('Odoo is down');", outputs: 1, x: 330, y: 520, wires: [['e000000000dbgdel']] },
  debug('e000000000dbgdel', 'delivered', 560, 520, 'retry'),
  { id: 'e0000000000catch', type: 'catch', z: TAB, name: 'write failed', scope: ['e00000000000fail'], uncaught: false, x: 110, y: 580, wires: [['e0000000000retr1']] },
  { id: 'e0000000000retr1', type: 'middleware-retry', z: TAB, name: 'retry write', store: STORE, maxAttempts: 5, baseDelayMs: 60000, maxDelayMs: 60000, multiplier: 2, maxTotalMs: 900000, unknownErrors: 'retry', replayRate: 10, x: 300, y: 580, wires: [['e00000000000fail'], ['e000000000dbgdlq']] },
  debug('e000000000dbgdlq', 'dead-lettered', 500, 600, 'deadLetter'),
];

interface Red {
  RED: {
    nodes: { node(id: string): Record<string, unknown> & { z: string } };
    workspaces: { show(id: string): void; active(): string };
    sidebar: { show(id: string): void };
  };
}

/** Waits for a message from the debug node `name` whose shown value matches `pattern`; resolves with its text. */
async function debugMessage(page: Page, name: string, pattern: RegExp): Promise<string> {
  const handle = await page.waitForFunction(({ n, source, flags }) => {
    const re = new RegExp(source, flags);
    for (const m of Array.from(document.querySelectorAll('.red-ui-debug-msg'))) {
      const from = m.querySelector('.red-ui-debug-msg-name')?.textContent ?? '';
      const shown = m.querySelector('.red-ui-debug-msg-payload')?.textContent ?? '';
      if (from.endsWith(`: ${n}`) && re.test(shown)) return shown;
    }
    return null;
  }, { n: name, source: pattern.source, flags: pattern.flags }, { timeout: 15_000 });
  return (await handle.jsonValue()) as string;
}

/** Clicks an inject node's button on the canvas. */
async function pressInject(page: Page, id: string): Promise<void> {
  await page.evaluate((tab) => (window as unknown as Red).RED.workspaces.show(tab), TAB);
  await page.locator(`g.red-ui-flow-node-group[id="${id}"] .red-ui-flow-node-button`).click();
}

/** Sets a plain input or select of the open dialog. */
async function set(page: Page, name: string, value: string): Promise<void> {
  const el = page.locator(`#node-input-${name}`);
  if ((await el.evaluate((e) => e.tagName)) === 'SELECT') await el.selectOption(value);
  else await el.fill(value);
}

/** Opens the config node `property` points at from the open dialog, sets its file, and goes back. */
async function setConfigFile(page: Page, property: string, file: string): Promise<void> {
  await page.locator(`#node-input-btn-${property}-edit`).click();
  await page.locator('#node-config-input-path').fill(file);
  await page.locator('#node-config-dialog-ok').click();
  await page.locator('#node-config-dialog-ok').waitFor({ state: 'detached' });
}

describe('editor: every node set, deployed and run in Chromium against npm start', function () {
  this.timeout(180_000);
  let app: EditorApp;
  let editor: EditorPage | undefined;
  let page: Page;

  before(async function () {
    requireChromium(this);
    app = await startEditorApp(FLOWS);
    editor = await openEditor(app.base);
    page = editor.page;
    await page.waitForFunction(() => Boolean((window as unknown as Red).RED.nodes.node('e0000000000guard')));
    await page.evaluate(() => (window as unknown as Red).RED.sidebar.show('debug'));
  });

  after(async () => {
    await editor?.close();
    await app?.stop();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && editor) {
      await editor.page.screenshot({ path: `${os.tmpdir()}/odoo-mw-browser-flows-failure.png` });
      console.log(`      page errors: ${JSON.stringify(editor.errors)}\n${app?.output().slice(-3000)}`);
    }
    const scriptErrors = editor?.errors.filter((e) => !e.startsWith('Failed to load resource')) ?? [];
    assert.deepEqual(scriptErrors, [], 'no script error in the editor');
  });

  it('middleware-store, idempotency-guard, idempotency-complete: the store file, namespace and mode set in the dialogs; the first order passes, the resend is a duplicate', async () => {
    const storeFile = path.join(app.dir, 'browser-store.sqlite');
    await openNode(page, 'e0000000000guard');
    await set(page, 'namespace', 'orders');
    await setConfigFile(page, 'store', storeFile);
    await closeDialog(page);
    await openNode(page, 'e00000000complet');
    await set(page, 'mode', 'success');
    await set(page, 'ttlSeconds', '3600');
    await closeDialog(page);
    await deploy(page);

    await pressInject(page, 'e000000000inj001');
    assert.match(await debugMessage(page, 'first sight', /completed/), /namespace: "orders"/);
    await pressInject(page, 'e000000000inj001');
    const duplicate = await debugMessage(page, 'duplicate', /completed/);
    assert.match(duplicate, /key: "A1"/);
    assert.ok(fs.statSync(storeFile).size > 0, 'the store is the file set in its dialog');
  });

  it('canonical-mapper: the preset picked says it needs no Odoo, its sample is prefilled and previews with no connection; the deployed node maps the shop order', async () => {
    await openNode(page, 'e00000000000map1');
    await set(page, 'preset', 'shopify-order');
    await page.locator('#cm-preset-hint', { hasText: 'Needs no Odoo connection' }).waitFor();
    const sample = JSON.parse(await page.locator('#cm-sample').inputValue()) as Record<string, unknown>;
    assert.equal(sample.email, 'bob.norman@example.com', 'the Shopify sample is prefilled');
    assert.equal(await page.locator('#node-input-connection').inputValue().catch(() => '_ADD_'), '_ADD_', 'no Odoo connection');
    await page.locator('#cm-try').click();
    const output = page.locator('#cm-result .cm-result-output');
    await output.waitFor();
    assert.equal(await page.locator('#cm-result .cm-result-error').count(), 0);
    assert.match(await page.locator('#cm-result').innerText(), /externalId: "450789469"\n(.|\n)*totalAmount: 209/);
    await closeDialog(page);
    await deploy(page);
    await pressInject(page, 'e000000000inj002');
    assert.match(await debugMessage(page, 'mapped', /450789469/), /source: "shopify"/);
  });

  it('canonical-mapper: the suggester proposes rules from the sample, one rejected and the rest accepted become the rules the node runs', async () => {
    await openNode(page, 'e00000000000map1');
    await set(page, 'mode', 'rules');
    await page.locator('#cm-suggest-target').selectOption('sales-order');
    assert.equal(await page.locator('#cm-suggest-model').isVisible(), false, 'the model box is for an Odoo model target only');
    await page.locator('#cm-suggest').click();
    const suggestions = page.locator('#cm-suggestions .cm-suggestion');
    await suggestions.first().waitFor();
    const offered = await suggestions.count();
    assert.ok(offered >= 5, `several rules suggested (${offered})`);
    const texts = await page.locator('#cm-suggestions .cm-suggestion-text').allInnerTexts();
    const accepted = texts.slice(0, -1).map((t) => t.split(' ← ')[0]);
    assert.ok(texts.some((t) => /^customer\.email ← email$|email ← .*email/.test(t)), `the e-mail is matched (${texts.join(' | ')})`);
    const rejected = texts[texts.length - 1];
    await suggestions.last().locator('.cm-reject').click();
    assert.equal(await suggestions.count(), offered - 1);
    while ((await suggestions.count()) > 0) await suggestions.first().locator('.cm-accept').click();
    assert.equal(await page.locator('#node-input-rules-container .cm-target').count(), offered - 1, 'each accepted suggestion is a rule row');
    const targets = await page.locator('#node-input-rules-container .cm-target').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    assert.deepEqual(targets, accepted, `the accepted suggestions, in order, without the rejected ${rejected}`);
    await page.locator('#cm-try').click();
    await page.locator('#cm-result .cm-result-output, #cm-result .cm-result-errors').first().waitFor();
    assert.match(await page.locator('#cm-result').innerText(), /450789469/, 'the preview runs the accepted rules');
    await screenshotOf(page, page.locator('.red-ui-tray').last(), 'canonical-mapper-suggest');
    await closeDialog(page);
    const rules = await page.evaluate(() => (window as unknown as Red).RED.nodes.node('e00000000000map1').rules as unknown[]);
    assert.equal(rules.length, offered - 1);
    await deploy(page);
    await pressInject(page, 'e000000000inj002');
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-debug-msg').length > 0);
    const shown = await Promise.race([debugMessage(page, 'mapped', /450789469/), debugMessage(page, 'not mapped', /.+/).then((e) => `not mapped: ${e}`)]);
    assert.doesNotMatch(shown, /^not mapped/, shown);
  });

  it('webhook-in, correlation-tracer: the path set in the dialog answers 202 with the correlation id the flow carries', async () => {
    await openNode(page, 'e00000000000hook');
    await set(page, 'path', '/browser/hook');
    await closeDialog(page);
    await openNode(page, 'e00000000tracer1');
    await page.locator('#node-input-setHeaders').uncheck();
    await closeDialog(page);
    await deploy(page);
    assert.equal((await fetch(`${app.base}/browser/old-hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 404, 'the old path is gone');
    const res = await fetch(`${app.base}/browser/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'browser-unpaid-1' }, body: JSON.stringify({ order: 7, paid: false }) });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { accepted: true, correlationId: 'browser-unpaid-1' });
    await debugMessage(page, 'unpaid', /"browser-unpaid-1"/);
    const paid = await fetch(`${app.base}/browser/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-correlation-id': 'browser-paid-1' }, body: JSON.stringify({ order: 8, paid: true }) });
    assert.equal(paid.status, 202);
    await debugMessage(page, 'paid', /"browser-paid-1"/);
  });

  it('event-bus, event-publish, event-subscribe, event-ack: the bus file, topic, group and action set in the dialogs; a published event reaches the subscriber and is acked', async () => {
    const busFile = path.join(app.dir, 'browser-bus.sqlite');
    await openNode(page, 'e0000000000publ1');
    await set(page, 'topic', 'stock.changed');
    await setConfigFile(page, 'bus', busFile);
    await closeDialog(page);
    await openNode(page, 'e0000000000subs1');
    await set(page, 'topic', 'stock.changed');
    await set(page, 'group', 'odoo-stock');
    await closeDialog(page);
    await openNode(page, 'e00000000000ack1');
    await set(page, 'action', 'ack');
    await closeDialog(page);
    await deploy(page);
    await pressInject(page, 'e000000000inj003');
    assert.match(await debugMessage(page, 'published', /stock\.changed/), /id: "/);
    const settled = await debugMessage(page, 'settled', /group: "odoo-stock"/);
    assert.match(settled, /deliveryCount: 1/);
    await page.locator('g.red-ui-flow-node-group[id="e00000000000ack1"] .red-ui-flow-node-status-label', { hasText: 'acked 1' }).waitFor();
    assert.ok(fs.statSync(busFile).size > 0, 'the bus is the file set in its dialog');
  });

  it('middleware-retry: one attempt set in the dialog dead-letters the failed write', async () => {
    await openNode(page, 'e0000000000retr1');
    await set(page, 'maxAttempts', '1');
    await closeDialog(page);
    await deploy(page);
    await pressInject(page, 'e000000000inj004');
    const letter = await debugMessage(page, 'dead-lettered', /reason/);
    assert.match(letter, /reason: "max_attempts"|reason: "not_retryable"/);
  });

  it('Dead letters sidebar: a letter\'s details open under its entry, and its replay delivers the message', async () => {
    await page.evaluate(() => (window as unknown as Red).RED.sidebar.show('odoo-middleware-dead-letters'));
    const entry = page.locator('#red-ui-sidebar-content div:has(> div > .dl-select)', { hasText: 'Odoo is down' }).first();
    await entry.waitFor({ timeout: 10_000 });
    await entry.locator('.dl-show').click();
    const detail = entry.locator('.dl-detail');
    await detail.waitFor();
    assert.match(await detail.innerText(), /nodeId: "e0000000000retr1"/, 'the details name the retry node');
    assert.match(await detail.innerText(), /message: object/, 'the details hold the stored message');
    const [entryBox, detailBox] = [await entry.boundingBox(), await detail.boundingBox()];
    assert.ok(entryBox && detailBox && detailBox.y > entryBox.y && detailBox.y + detailBox.height <= entryBox.y + entryBox.height + 1, 'the details open inside their entry');
    assert.equal(await page.locator('.dl-actions button:not([title]), .dl-purge button:not([title])').count(), 0, 'every button has a tooltip');
    // Ids and epoch times differ on every run.
    await screenshotOf(page, page.locator('#red-ui-sidebar'), 'dead-letters-sidebar', [detail.locator('.red-ui-debug-msg-type-number, .red-ui-debug-msg-type-string').filter({ hasText: /^\d{13}$|^"[0-9a-f]{8}-/ })]);
    await entry.locator('button', { hasText: 'Replay' }).click();
    await page.locator('.red-ui-notification', { hasText: 'replay: 1 of 1' }).waitFor();
    await page.evaluate(() => (window as unknown as Red).RED.sidebar.show('debug'));
    assert.match(await debugMessage(page, 'delivered', /replayOf/), /replayOf: "/);
  });

  it('Traces sidebar: a recent trace lists its hops with 24-hour times, the switch shows the output it took, and a click on a hop reveals its node', async () => {
    await page.evaluate((tab) => {
      const { RED } = window as unknown as Red;
      RED.workspaces.show(tab);
      RED.sidebar.show('odoo-middleware-traces');
    }, ELSEWHERE);
    const recent = page.locator('.trace-recent', { hasText: 'browser-unpaid-1' });
    await recent.waitFor({ timeout: 10_000 });
    assert.match(await recent.innerText(), /Every node · POST \/browser\/hook/);
    assert.match(await recent.locator('.trace-time').innerText(), /^\d\d:\d\d:\d\d\.\d{3}$/);
    await recent.click();
    const hops = page.locator('.trace-hop');
    await hops.first().waitFor();
    const times = await page.locator('.trace-hop .trace-time').allInnerTexts();
    assert.ok(times.length >= 3 && times.every((t) => /^\d\d:\d\d:\d\d\.\d{3}$/.test(t)), `times as 06:51:33.875 (${times.join(', ')})`);
    const switchHop = hops.filter({ hasText: 'paid? (switch)' });
    assert.equal(await switchHop.locator('.trace-output').innerText(), '→ output 2: otherwise');
    // The trace id and the durations differ on every run.
    await screenshotOf(page, page.locator('#red-ui-sidebar'), 'traces-sidebar', [page.locator('.trace-origin + div'), page.locator('.trace-hop td:nth-child(n+3)')]);
    await switchHop.click();
    await page.waitForFunction((tab) => (window as unknown as Red).RED.workspaces.active() === tab, TAB);
    await page.locator('g.red-ui-flow-node-group[id="e0000000000paid1"]').waitFor({ state: 'visible' });
  });
});
