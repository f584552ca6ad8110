import { strict as assert } from 'node:assert';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../../sandbox';
import { ValidationError } from '../../../nodes/lib/errors';
import { createOdooClient } from '../../../nodes/lib/odoo/client';
import { OdooError } from '../../../nodes/lib/odoo/errors';
import type { OdooClient } from '../../../nodes/lib/odoo/types';
import { PRECONDITION_PRESETS, callWithPrecondition, parsePrecondition } from '../../../nodes/lib/write/precondition';

const CONFIRMABLE = [['state', 'in', ['draft', 'sent']]];

describe('precondition domains (replay-safe calls)', () => {
  describe('parsePrecondition', () => {
    it('accepts a domain or its JSON text; empty means no precondition', () => {
      assert.deepEqual(parsePrecondition('[["state","in",["draft","sent"]]]'), CONFIRMABLE);
      assert.deepEqual(parsePrecondition(['|', ['state', '=', 'draft'], '!', ['locked', '=', true]]), ['|', ['state', '=', 'draft'], '!', ['locked', '=', true]]);
      for (const empty of [undefined, null, '', '  ', [], '[]']) assert.equal(parsePrecondition(empty), undefined);
    });

    it('names what is wrong in a malformed domain', () => {
      const cases: Array<[unknown, RegExp]> = [
        ['[["state"', /precondition must be a JSON domain/],
        [{ state: 'draft' }, /must be a domain \(a list of \[field, operator, value\] terms\); got an object/],
        [[['state', 'draft']], /precondition\[0\] must be a \[field, operator, value\] term/],
        [[['state', 'equals', 'draft']], /precondition\[0\]: unknown operator the string "equals"; expected one of =, !=/],
        [[[3, '=', 'draft']], /precondition\[0\]: the field must be a field name/],
        [['|', ['state', '=', 'draft']], /precondition\[0\]: "\|" needs two terms after it/],
        [[['state', '=', 'draft'], '!'], /precondition\[1\]: "!" needs a term after it/],
      ];
      for (const [value, message] of cases) {
        assert.throws(() => parsePrecondition(value), (err: unknown) => err instanceof ValidationError && message.test(err.message), String(JSON.stringify(value)));
      }
    });
  });

  describe('callWithPrecondition against the sandbox over JSON-2', () => {
    let sb: Sandbox;
    let client: OdooClient;
    before(async () => {
      sb = await startSandbox();
      client = createOdooClient({ url: sb.url, database: SANDBOX_DEFAULTS.database, protocol: 'json2', apiKey: SANDBOX_DEFAULTS.apiKey, circuit: false, timeoutMs: 5000 });
    });
    after(async () => {
      client.close();
      await sb.close();
    });
    afterEach(() => sb.setFaults({}));

    const orders = (n: number): number[] => sb.insertRecords('sale.order', Array.from({ length: n }, () => ({ partner_id: 8 })));
    const states = async (ids: number[]): Promise<unknown[]> =>
      (await client.call<Array<{ id: number; state: string }>>('sale.order', 'read', { ids, fields: ['state'] })).map((r) => r.state);
    const confirm = (ids: number[]) => callWithPrecondition(client, { model: 'sale.order', method: 'action_confirm', ids, args: {}, domain: CONFIRMABLE }, {});

    it('confirming twice confirms once: the second call is skipped without calling action_confirm', async () => {
      const [id] = orders(1);
      sb.clearRequests();
      assert.deepEqual(await confirm([id]), { result: true, called: [id], skipped: [] });
      assert.deepEqual(await confirm([id]), { result: null, called: [], skipped: [id] });
      assert.deepEqual(await states([id]), ['sale']);
      assert.equal(sb.requests.filter((r) => r.odooMethod === 'action_confirm').length, 1);
    });

    it('calls only the records that match and reports the others in input order', async () => {
      const [a, b, c] = orders(3);
      await client.call('sale.order', 'action_confirm', { ids: [b] });
      assert.deepEqual(await confirm([c, b, a]), { result: true, called: [c, a], skipped: [b] });
      assert.deepEqual(await states([a, b, c]), ['sale', 'sale', 'sale']);
    });

    it('counts archived records: an archived partner that matches gets the call', async () => {
      const [partner] = sb.insertRecords('res.partner', [{ name: 'Archived match', active: false }]);
      const post = { model: 'res.partner', method: 'message_post', ids: [partner], args: { body: 'hello' }, domain: [['name', '=', 'Archived match']] };
      const outcome = await callWithPrecondition(client, post, {});
      assert.deepEqual(outcome.called, [partner]);
      assert.equal(typeof outcome.result, 'number');
    });

    it('refuses ids that do not exist instead of skipping them', async () => {
      const [id] = orders(1);
      await assert.rejects(confirm([id, 999_999]), (err: unknown) => err instanceof OdooError && err.kind === 'missing' && /sale\.order\(999999\)/.test(err.message));
      assert.deepEqual(await states([id]), ['draft'], 'nothing was called');
    });

    it('a race: another client confirms between the check and the call; the UserError becomes a skip', async () => {
      const [mine, theirs] = orders(2);
      sb.setFaults({ latencyMs: 300, faultModels: ['sale.order'], faultMethods: ['action_confirm'] });
      sb.clearRequests();
      const outcome = confirm([mine, theirs]);
      await waitFor(() => sb.requests.some((r) => r.odooMethod === 'action_confirm'));
      // The call is held in flight: the other process gets there first.
      sb.callMethod('sale.order', 'action_confirm', { ids: [theirs] });
      assert.deepEqual(await outcome, { result: true, called: [mine], skipped: [theirs] });
      assert.deepEqual(await states([mine, theirs]), ['sale', 'sale']);
      const confirmCalls = sb.requests.filter((r) => r.odooMethod === 'action_confirm').map((r) => (r.body as { ids: number[] }).ids);
      assert.deepEqual(confirmCalls, [[mine, theirs], [mine]], 'the rolled-back call is repeated for the rest only');
    });

    it('a race on every record: all skipped, no error', async () => {
      const [id] = orders(1);
      sb.setFaults({ latencyMs: 300, faultModels: ['sale.order'], faultMethods: ['action_confirm'] });
      sb.clearRequests();
      const outcome = confirm([id]);
      await waitFor(() => sb.requests.some((r) => r.odooMethod === 'action_confirm'));
      sb.callMethod('sale.order', 'action_confirm', { ids: [id] });
      assert.deepEqual(await outcome, { result: null, called: [], skipped: [id] });
    });

    it('a UserError on a record that still matches is the error, not a skip', async () => {
      const [id] = orders(1);
      // Locked and confirmed: action_cancel refuses it while it still matches "not cancelled".
      sb.callMethod('sale.order', 'write', { ids: [id], vals: { locked: true } });
      const cancel = callWithPrecondition(client, { model: 'sale.order', method: 'action_cancel', ids: [id], args: {}, domain: [['state', '!=', 'cancel']] }, {});
      await assert.rejects(cancel, (err: unknown) => err instanceof OdooError && err.kind === 'user' && /locked order/.test(err.message));
    });

    it('passes the named arguments (and their context) to the method', async () => {
      const [id] = orders(1);
      await client.call('sale.order', 'action_confirm', { ids: [id] });
      const args = { context: { disable_cancel_warning: true } };
      const outcome = await callWithPrecondition(client, { model: 'sale.order', method: 'action_cancel', ids: [id], args, domain: [['state', '!=', 'cancel']] }, {});
      assert.deepEqual(outcome, { result: true, called: [id], skipped: [] });
      assert.deepEqual(await states([id]), ['cancel']);
    });

    it('every preset runs its action once and skips it on the replay', async () => {
      for (const preset of PRECONDITION_PRESETS) {
        const id = await recordFor(preset.model, preset.method);
        const call = { model: preset.model, method: preset.method, ids: [id], args: { context: { disable_cancel_warning: true } }, domain: preset.domain };
        const first = await callWithPrecondition(client, call, {});
        assert.deepEqual(first.called, [id], `${preset.model} ${preset.method}: first call`);
        const replay = await callWithPrecondition(client, call, {});
        assert.deepEqual(replay.skipped, [id], `${preset.model} ${preset.method}: replay skipped`);
      }
    });

    /** A record in a state the action applies to. */
    async function recordFor(model: string, method: string): Promise<number> {
      if (model === 'sale.order') {
        const [id] = orders(1);
        if (method === 'action_draft') sb.callMethod('sale.order', 'action_cancel', { ids: [id] });
        return id;
      }
      if (model === 'account.move') {
        const [id] = sb.insertRecords('account.move', [{ move_type: 'out_invoice', partner_id: 8, invoice_line_ids: [[0, 0, { name: 'Work', quantity: 1, price_unit: 5 }]] }]);
        if (method === 'button_draft') sb.callMethod('account.move', 'action_post', { ids: [id] });
        return id;
      }
      return sb.insertRecords('stock.picking', [{ partner_id: 8 }])[0];
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
