/**
 * The Operations sidebar in Chromium against `npm start`: a deployed connection with its charts and circuit state,
 * an SLA opened by the flow listed with its key, and the dead-letter and alert sections, with no script error.
 * The screenshot goes to docs/images/operations-sidebar.png.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { IMAGES, openEditor, requireChromium, startEditorApp, type EditorApp, type EditorPage } from '../helpers/browser';

const TAB = 'e0000000000000t1';
const FLOWS = [
  { id: TAB, type: 'tab', label: 'Operations', info: 'Opens an order SLA at start, for the Operations sidebar test.' },
  {
    id: 'e0000000000000c1', type: 'odoo-connection', name: 'Odoo sandbox', url: '${ODOO_URL}', database: '${ODOO_DB}', protocol: 'auto', login: '${ODOO_LOGIN}',
    timeout: 120, concurrency: 4, tlsVerify: true, apiKeyEnv: 'ODOO_API_KEY', passwordEnv: 'ODOO_PASSWORD',
  },
  { id: 'e0000000000000s1', type: 'middleware-store', name: 'local store', backend: 'sqlite', path: '' },
  { id: 'e0000000000000a1', type: 'sla', name: 'order', deadline: 15, deadlineUnit: 'min', store: 'e0000000000000s1' },
  { id: 'e0000000000000i1', type: 'inject', z: TAB, name: 'order S42', props: [{ p: 'payload' }], payload: '{"id":"S42"}', payloadType: 'json', once: true, onceDelay: 0.5, repeat: '', x: 140, y: 80, wires: [['e0000000000000o1']] },
  { id: 'e0000000000000o1', type: 'sla-open', z: TAB, name: 'open order SLA', sla: 'e0000000000000a1', key: 'payload.id', keyType: 'msg', x: 340, y: 80, wires: [[], []] },
];

describe('editor: the Operations sidebar in Chromium against npm start', function () {
  this.timeout(180_000);
  let app: EditorApp | undefined;
  let editor: EditorPage | undefined;
  let page: Page;

  before(async function () {
    requireChromium(this);
    app = await startEditorApp(FLOWS);
    editor = await openEditor(app.base);
    page = editor.page;
  });

  after(async () => {
    await editor?.close();
    await app?.stop();
  });

  it('shows the connection with its charts, the open SLA, dead letters and alerts', async () => {
    const show = () => page.evaluate(() => (window as unknown as { RED: { sidebar: { show(id: string): void } } }).RED.sidebar.show('odoo-middleware-operations'));
    const sla = page.locator('.ops-sidebar .ops-sla-open');
    // The tab renders its SLA list only while shown; shown again, as a user would, should the editor select another.
    for (const giveUpAt = Date.now() + 30_000; Date.now() < giveUpAt && !(await sla.first().isVisible()); ) {
      await show();
      await page.waitForTimeout(500);
    }
    await sla.first().waitFor({ state: 'visible', timeout: 5_000 });
    assert.match(await sla.first().innerText(), /order S42 · open/);
    assert.match(await page.locator('.ops-sidebar .ops-sla-counts').first().innerText(), /1 open, 0 breached/);
    const connection = page.locator('.ops-sidebar .ops-connection').filter({ hasText: 'Odoo sandbox' });
    assert.equal(await connection.count(), 1);
    assert.equal(await connection.locator('svg').count(), 3, 'calls/min, error rate and p95 charts');
    assert.match(await connection.locator('.ops-circuit').innerText(), /closed|unknown/);
    const text = await page.locator('.ops-sidebar').innerText();
    assert.match(text, /Active alerts \(0\)/);
    assert.match(text, /Dead letters by error/);
    await show();
    await sla.first().waitFor({ state: 'visible', timeout: 5_000 });
    fs.mkdirSync(IMAGES, { recursive: true });
    await page.locator('#red-ui-sidebar').screenshot({ path: path.join(IMAGES, 'operations-sidebar.png') });
    const errors = (editor as EditorPage).errors.filter((e) => !e.startsWith('Failed to load resource'));
    assert.deepEqual(errors, []);
  });
});
