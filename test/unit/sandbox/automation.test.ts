/** Automation-rule webhooks of the sandbox, checked against the captures of Odoo 19 in shared/odoo-reference. */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { ADMIN, request } from './helpers';

interface Received {
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver that records each POST and answers after `delayMs`. */
async function receiver(delayMs = 0): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      setTimeout(() => res.end('ok'), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    got,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function json2(sb: Sandbox, model: string, method: string, body: unknown): Promise<{ status: number; body: unknown; ms: number }> {
  const started = Date.now();
  const reply = await request(sb.url, `/json/2/${model}/${method}`, { headers: ADMIN, body: JSON.stringify(body) });
  if ('error' in reply) throw new Error(reply.error);
  return { status: reply.status, body: reply.body, ms: Date.now() - started };
}

async function fieldIds(sb: Sandbox, model: string, names: string[]): Promise<number[]> {
  const { body } = await json2(sb, 'ir.model.fields', 'search_read', { domain: [['model', '=', model], ['name', 'in', names]], fields: ['name'] });
  const rows = body as Array<{ id: number; name: string }>;
  return names.map((n) => (rows.find((r) => r.name === n) as { id: number }).id);
}

async function partnerRule(sb: Sandbox, url: string, options: { trigger?: string; triggerFields?: string[]; extra?: Record<string, unknown> } = {}): Promise<number> {
  const { body } = await json2(sb, 'ir.model', 'search_read', { domain: [['model', '=', 'res.partner']], fields: ['model'] });
  const modelId = (body as Array<{ id: number }>)[0].id;
  const trigger = options.triggerFields ?? ['name', 'email'];
  const created = await json2(sb, 'base.automation', 'create', {
    vals_list: [
      {
        name: 'Partner webhook',
        model_id: modelId,
        trigger: options.trigger ?? 'on_create_or_write',
        trigger_field_ids: [[6, 0, trigger.length ? await fieldIds(sb, 'res.partner', trigger) : []]],
        ...options.extra,
        action_server_ids: [[0, 0, { name: 'Send partner webhook', model_id: modelId, state: 'webhook', webhook_url: url, webhook_field_ids: [[6, 0, await fieldIds(sb, 'res.partner', ['name', 'email', 'write_date'])]] }]],
      },
    ],
  });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  return (created.body as number[])[0];
}

describe('sandbox: automation-rule webhooks', function () {
  this.timeout(10_000);
  let sb: Sandbox;
  let hook: Awaited<ReturnType<typeof receiver>>;

  afterEach(async () => {
    await sb?.close();
    await hook?.close();
  });

  it("POSTs Odoo's body after commit: sorted keys, id, write_date with microseconds, only the chosen fields, no signature", async () => {
    sb = await startSandbox();
    hook = await receiver();
    await partnerRule(sb, `${hook.url}/hook?token=abc`);
    const created = await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'Webhook Probe 1', email: 'probe1@example.com', city: 'Tracy' }] });
    const [id] = created.body as number[];
    assert.equal(hook.got.length, 1, 'one POST per create with trigger fields');
    const [post] = hook.got;
    assert.equal(post.url, '/hook?token=abc', 'the query string as given');
    assert.equal(post.headers['content-type'], 'application/json');
    assert.equal(post.headers['user-agent'], 'python-requests/2.28.1');
    assert.equal(post.headers.authorization, undefined);
    assert.deepEqual(Object.keys(post.headers).filter((h) => /signature|hmac|token/i.test(h)), []);
    assert.match(post.body, /^\{"_action": "Send partner webhook\(#\d+\)", "_id": \d+, "_model": "res.partner", "email": "probe1@example.com", "id": \d+, "name": "Webhook Probe 1", "write_date": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}"\}$/);
    const body = JSON.parse(post.body) as Record<string, unknown>;
    assert.equal(body._id, id);
    const [stored] = (await json2(sb, 'res.partner', 'read', { ids: [id], fields: ['write_date'] })).body as Array<{ write_date: string }>;
    assert.equal((body.write_date as string).slice(0, 19), stored.write_date, 'the API gives the same write_date to the second');
  });

  it('sends one POST per write of a trigger field and none for other fields', async () => {
    sb = await startSandbox();
    hook = await receiver();
    await partnerRule(sb, `${hook.url}/hook`);
    await json2(sb, 'res.partner', 'write', { ids: [3], vals: { city: 'Elsewhere' } });
    assert.equal(hook.got.length, 0);
    await json2(sb, 'res.partner', 'write', { ids: [3], vals: { email: 'new@example.com' } });
    assert.equal(hook.got.length, 1);
  });

  it('without trigger fields sends 13 identical POSTs for a create and 2 for a write, as measured on Odoo', async () => {
    sb = await startSandbox();
    hook = await receiver();
    await partnerRule(sb, `${hook.url}/hook`, { triggerFields: [] });
    await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'Noisy' }] });
    assert.equal(hook.got.length, 13);
    assert.equal(new Set(hook.got.map((g) => g.body)).size, 1, 'identical bodies');
    await json2(sb, 'res.partner', 'write', { ids: [3], vals: { city: 'x' } });
    assert.equal(hook.got.length, 15);
  });

  it("holds the caller's request while the receiver answers, giving up after 1 s without retrying", async () => {
    sb = await startSandbox();
    hook = await receiver(2500);
    await partnerRule(sb, `${hook.url}/hook`);
    const created = await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'Slow' }] });
    assert.equal(created.status, 200);
    assert.ok(created.ms >= 950, `the create waited for the webhook (${created.ms} ms)`);
    assert.ok(created.ms < 2000, `but only up to the 1 s timeout (${created.ms} ms)`);
    assert.equal(hook.got.length, 1, 'no retry');
    assert.equal(sb.webhooks.at(-1)?.error, 'Webhook call timed out after 1s - it may or may not have failed.');
  });

  it('commits and answers 200 when the receiver is down: the event is simply gone', async () => {
    sb = await startSandbox();
    hook = await receiver();
    const url = `${hook.url}/hook`;
    await hook.close();
    await partnerRule(sb, url);
    const created = await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'Lost' }] });
    assert.equal(created.status, 200);
    assert.equal(sb.webhooks.length, 1);
    assert.match(sb.webhooks[0].error ?? '', /^Webhook call failed: .*ECONNREFUSED/);
    const found = (await json2(sb, 'res.partner', 'search_count', { domain: [['name', '=', 'Lost']] })).body;
    assert.equal(found, 1);
  });

  it('sends nothing for a rolled-back call', async () => {
    sb = await startSandbox();
    hook = await receiver();
    await partnerRule(sb, `${hook.url}/hook`);
    const failed = await json2(sb, 'res.partner', 'create', { vals_list: [{ name: 'Fine' }, { email: 'no-name@example.com' }] });
    assert.equal(failed.status, 422);
    assert.equal(hook.got.length, 0);
  });

  it("fires 'on a field's value' only when the field becomes the value (filter_pre_domain / filter_domain)", async () => {
    sb = await startSandbox();
    hook = await receiver();
    await partnerRule(sb, `${hook.url}/hook`, { triggerFields: ['city'], extra: { filter_pre_domain: "[('city', '!=', 'Brussels')]", filter_domain: "[('city', '=', 'Brussels')]" } });
    await json2(sb, 'res.partner', 'write', { ids: [3], vals: { city: 'Paris' } });
    assert.equal(hook.got.length, 0);
    await json2(sb, 'res.partner', 'write', { ids: [3], vals: { city: 'Brussels' } });
    assert.equal(hook.got.length, 1);
    await json2(sb, 'res.partner', 'write', { ids: [3], vals: { city: 'Brussels' } });
    assert.equal(hook.got.length, 1, 'already Brussels before the write');
  });

  it('sends changes made without HTTP in the background', async () => {
    sb = await startSandbox();
    hook = await receiver();
    await partnerRule(sb, `${hook.url}/hook`);
    sb.callMethod('res.partner', 'write', { ids: [3], vals: { name: 'Renamed' } });
    await sb.webhooksSettled();
    assert.equal(hook.got.length, 1);
  });

  it("answers like Odoo without base_automation: the model 'base.automation' does not exist", async () => {
    sb = await startSandbox({ baseAutomation: false });
    const reply = await json2(sb, 'base.automation', 'search_read', { domain: [], fields: ['name'] });
    assert.equal(reply.status, 404);
    assert.equal((reply.body as { message: string }).message, "the model 'base.automation' does not exist");
    assert.equal((await json2(sb, 'ir.actions.server', 'search_count', { domain: [] })).status, 200);
  });
});
