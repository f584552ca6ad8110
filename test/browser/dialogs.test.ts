/**
 * Every node type of the package, as a user meets it in Chromium against `npm start`: dropped from the palette
 * (config nodes: opened from the dialog of a node that uses them), its dialog opens with its settings and no script error, and a screenshot
 * of it is written to docs/images/<type>.png for the README.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { closeDialog, dropFromPalette, openEditor, openNode, requireChromium, screenshotDialog, startEditorApp, type EditorApp, type EditorPage } from '../helpers/browser';

const root = path.resolve(__dirname, '..', '..', '..');
const TYPES = Object.keys((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);

const TAB = 'd0000000000000t1';
const CONNECTION = {
  id: 'd0000000000000c1',
  type: 'odoo-connection',
  name: 'Odoo sandbox',
  url: '${ODOO_URL}',
  database: '${ODOO_DB}',
  protocol: 'auto',
  login: '${ODOO_LOGIN}',
  timeout: 120,
  concurrency: 4,
  tlsVerify: true,
  apiKeyEnv: 'ODOO_API_KEY',
  passwordEnv: 'ODOO_PASSWORD',
};
/** Dialogs whose screenshot the picker tests take once set through the pickers. */
const SHOWN_SET = new Set(['odoo-read', 'odoo-write']);
const FLOWS = [{ id: TAB, type: 'tab', label: 'Dialogs', info: 'Each node type of the package, opened by the browser tests.' }, CONNECTION];

interface RedTypes {
  RED: {
    nodes: { getType(type: string): { category: string; defaults: Record<string, unknown> } | undefined; remove(id: string): void };
    view: { redraw(full: boolean): void };
  };
}

/** Every setting the dialog shows as an input (`node-input-<name>` or `node-config-input-<name>`). */
async function dialogInputs(page: Page, prefix: string): Promise<string[]> {
  return page.evaluate((p) => Array.from(document.querySelectorAll(`.red-ui-tray [id^="${p}"]`)).map((el) => el.id.slice(p.length)), prefix);
}

describe('editor: every node dialog in Chromium against npm start', function () {
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

  it('the palette filter "odoo" shows every node of the package that the palette lists', async () => {
    const search = page.locator('#red-ui-palette-search input');
    await search.pressSequentially('odoo');
    try {
      // The search box applies its filter after a short delay: wait until a core node is filtered out.
      await page.waitForFunction(() => document.querySelector('#red-ui-palette .red-ui-palette-node[data-palette-type="inject"]')?.getAttribute('data-filter') === 'true');
      const listed = await page.evaluate((types) => {
        const red = (window as unknown as RedTypes).RED;
        return types.filter((t) => red.nodes.getType(t)?.category !== 'config');
      }, TYPES);
      assert.ok(listed.length >= 10, `${listed.length} palette nodes`);
      const hidden = await page.evaluate(
        (types) => types.filter((t) => document.querySelector(`#red-ui-palette .red-ui-palette-node[data-palette-type="${t}"]`)?.getAttribute('data-filter') !== null),
        listed,
      );
      assert.deepEqual(hidden, [], 'nodes the filter "odoo" hides');
    } finally {
      await search.fill('');
      await search.press('Backspace');
      await page.waitForFunction(() => document.querySelector('#red-ui-palette .red-ui-palette-node[data-palette-type="inject"]')?.getAttribute('data-filter') === null);
    }
  });

  it('the help of every node fits the sidebar at its default width: long inline code wraps instead of being clipped', async () => {
    type Helps = { RED: { sidebar: { help: { show(type: string): void } }; nodes: { registry: { getNodeType(type: string): { paletteLabel?: string | (() => string) } } } } };
    const problems: string[] = [];
    for (const type of TYPES) {
      // The help shows the palette label as its title. It is shown again while the editor may still move the
      // sidebar to its first tab.
      const title = await page.evaluate((t) => {
        const def = (window as unknown as Helps).RED.nodes.registry.getNodeType(t);
        return typeof def.paletteLabel === 'function' ? def.paletteLabel.call(def) : def.paletteLabel || t;
      }, type);
      const heading = page.locator('#red-ui-sidebar-content .red-ui-help-title:visible', { hasText: title });
      for (let attempt = 0; attempt < 10 && !(await heading.first().isVisible()); attempt++) {
        await page.evaluate((t) => (window as unknown as Helps).RED.sidebar.help.show(t), type);
        await page.waitForTimeout(200);
      }
      const found = await page.evaluate(() => {
        const box = Array.from(document.querySelectorAll<HTMLElement>('#red-ui-sidebar-content .red-ui-help .red-ui-help')).find((el) => el.offsetParent !== null);
        if (!box) return undefined;
        const right = box.getBoundingClientRect().right;
        const clipped = Array.from(box.querySelectorAll('code')).filter((c) => c.getBoundingClientRect().right > right + 1);
        return { marked: box.querySelector('.odoo-mw-help') !== null, clipped: clipped.map((c) => c.textContent ?? '') };
      });
      if (!found) problems.push(`${type}: no help shown`);
      else if (!found.marked) problems.push(`${type}: its help is not marked .odoo-mw-help`);
      else if (found.clipped.length > 0) problems.push(`${type}: clipped ${found.clipped.join(', ')}`);
    }
    assert.deepEqual(problems, []);
  });

  for (const type of TYPES) {
    it(`${type}: the dialog opens with its settings${SHOWN_SET.has(type) ? '' : ', and its screenshot is written'}`, async () => {
      const def = await page.evaluate((t) => {
        const found = (window as unknown as RedTypes).RED.nodes.getType(t);
        return found ? { category: found.category, defaults: Object.keys(found.defaults) } : null;
      }, type);
      assert.ok(def, `${type} is registered in the editor`);
      const errorsBefore = (editor as EditorPage).errors.filter((e) => !e.startsWith('Failed to load resource')).length;
      let prefix = 'node-input-';
      let host = '';
      if (def.category === 'config') {
        // As a user gets there: from the dialog of a node that uses it, with the pencil (or + when there is none yet).
        prefix = 'node-config-input-';
        const user = await page.evaluate(({ t, candidates }) => {
          const { RED } = window as unknown as RedTypes;
          for (const c of candidates) {
            const d = RED.nodes.getType(c);
            if (!d || d.category === 'config') continue;
            // A node that needs it (an optional setting may sit on a tab of its dialog that is not shown first).
            for (const [name, prop] of Object.entries(d.defaults)) if ((prop as { type?: string; required?: boolean }).type === t && (prop as { required?: boolean }).required !== false) return { type: c, property: name };
          }
          return null;
        }, { t: type, candidates: TYPES });
        assert.ok(user, `a node of the package uses ${type}`);
        host = await dropFromPalette(page, user.type, 500, 300);
        await openNode(page, host);
        const chosen = await page.locator(`#node-input-${user.property}`).inputValue();
        await page.locator(`#node-input-btn-${user.property}-${chosen && chosen !== '_ADD_' ? 'edit' : 'add'}`).click();
        await page.locator('#node-config-dialog-cancel').waitFor();
        await page.waitForTimeout(500);
      } else {
        host = await dropFromPalette(page, type, 500, 300);
        await openNode(page, host);
      }
      const inputs = await dialogInputs(page, prefix);
      const shown = def.defaults.filter((d) => inputs.includes(d));
      assert.ok(shown.length >= Math.min(2, def.defaults.length), `${type} shows its settings (${inputs.join(', ')})`);
      if (!SHOWN_SET.has(type)) await screenshotDialog(page, type);
      if (def.category === 'config') {
        await page.locator('#node-config-dialog-cancel').click();
        await page.locator('#node-config-dialog-cancel').waitFor({ state: 'detached' });
      }
      await closeDialog(page, 'cancel');
      await page.evaluate((nodeId) => {
        const { RED } = window as unknown as RedTypes;
        RED.nodes.remove(nodeId);
        RED.view.redraw(true);
      }, host);
      const errors = (editor as EditorPage).errors.filter((e) => !e.startsWith('Failed to load resource'));
      assert.deepEqual(errors.slice(errorsBefore), [], `no script error while ${type}'s dialog was open`);
      if (!SHOWN_SET.has(type)) assert.ok(fs.statSync(path.join(root, 'docs', 'images', `${type}.png`)).size > 5000);
    });
  }
});
