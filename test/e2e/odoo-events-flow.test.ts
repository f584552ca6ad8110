/**
 * The shipped "Odoo events" tab run as `npm start` runs it, against the sandbox: the rule created from the
 * webhook-in dialog's endpoint, a contact change delivered by Odoo's webhook to both subscriber groups once, and a
 * change whose POST Odoo could not deliver brought by the sweep, once.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { callSandbox } from '../helpers/odoo';
import { freePort, getJson, type RunningProcess } from '../helpers/process';
import { startNpmStart } from '../helpers/npm-start';

const TOKEN = 'odoo-events-flow-token';
const HOOK = 'a4f0c0de00000002';
const SWEEP_INJECT = 'a4f0c0de00000006';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Odoo events flow (sandbox -> webhook-in -> bus -> two groups, and the sweep)', function () {
  this.timeout(90_000);
  let userDir: string;
  let red: RunningProcess | undefined;
  let base: string;
  let odoo: { url: string };

  before(async function () {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-events-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    red = await startNpmStart({ userDir, port, env: { ODOO_WEBHOOK_TOKEN: TOKEN } });
    const url = /Odoo sandbox listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(red.output());
    assert.ok(url, red.output());
    odoo = { url: url[1] };
  });

  after(async function () {
    await red?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const notesOn = async (id: number) =>
    (await callSandbox<Array<{ body: string }>>(odoo, 'mail.message', 'search_read', { domain: [['model', '=', 'res.partner'], ['res_id', '=', id]], fields: ['body'] })).map((m) => m.body);
  async function notesFor(id: number, count: number): Promise<string[]> {
    for (let i = 0; i < 200; i++) {
      const notes = await notesOn(id);
      if (notes.length >= count) return notes;
      await sleep(50);
    }
    return notesOn(id);
  }
  const sweep = () => getJson(`${base}/inject/${SWEEP_INJECT}`, { method: 'POST' });

  it('one change in Odoo reaches the sales and audit groups once; a dropped POST is swept once', async function () {
    const rule = await getJson(`${base}/webhook-in/${HOOK}/odoo-rule`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ connection: 'a1f0c0de000000c1', model: 'res.partner', trigger: 'on_create_or_write', triggerFields: ['name', 'email'], fields: ['name', 'email'] }),
    });
    assert.equal(rule.status, 200, JSON.stringify(rule.body));
    const { actionId } = rule.body as { actionId: number };
    const [action] = await callSandbox<Array<{ webhook_url: string }>>(odoo, 'ir.actions.server', 'read', { ids: [actionId], fields: ['webhook_url'] });
    assert.equal(action.webhook_url, `${base}/odoo/partners?token=${TOKEN}`, 'the node URL from the request, with the deployed token');

    const [live] = await callSandbox<number[]>(odoo, 'res.partner', 'create', { vals_list: [{ name: 'Events Live', email: 'events.live@example.com' }] });
    const liveNotes = await notesFor(live, 2);
    assert.equal(liveNotes.length, 2, JSON.stringify(liveNotes));
    assert.ok(liveNotes.some((b) => b.startsWith('Sales: contact Events Live changed')));
    assert.ok(liveNotes.some((b) => b.startsWith(`Audit: res.partner ${live} written at`)));

    // Node-RED unreachable for Odoo: its POST fails, the contact is saved anyway.
    await callSandbox(odoo, 'ir.actions.server', 'write', { ids: [actionId], vals: { webhook_url: 'http://127.0.0.1:9/odoo/partners' } });
    const [dropped] = await callSandbox<number[]>(odoo, 'res.partner', 'create', { vals_list: [{ name: 'Events Dropped', email: 'events.dropped@example.com' }] });
    await callSandbox(odoo, 'ir.actions.server', 'write', { ids: [actionId], vals: { webhook_url: action.webhook_url } });
    await sleep(500);
    assert.equal((await notesOn(dropped)).length, 0, 'nothing came by webhook');

    await sleep(6000); // past the sweep's 5 s settle time
    assert.equal((await sweep()).status, 200);
    const droppedNotes = await notesFor(dropped, 2);
    assert.equal(droppedNotes.length, 2, JSON.stringify(droppedNotes));
    assert.ok(droppedNotes.some((b) => b.startsWith('Sales: contact Events Dropped changed (sweep)')));

    assert.equal((await sweep()).status, 200);
    await sleep(1500);
    assert.equal((await notesOn(dropped)).length, 2, 'a second sweep brings nothing again');
    assert.equal((await notesOn(live)).length, 2, 'the webhook event was not swept again');
  });
});
