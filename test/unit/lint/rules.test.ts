/** Every rule fires on its fixture flow, with the nodes it names, and the clean fixture gives no finding at all. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lintFlows } from '../../../nodes/lib/lint/engine';
import { RULES } from '../../../nodes/lib/lint/rules';
import type { Finding } from '../../../nodes/lib/lint/types';

const fixtures = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'lint');
const load = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8'));
const ids = (findings: Finding[], rule: string): string[] => findings.filter((f) => f.rule === rule).map((f) => f.nodeId).sort();

const expected: Record<string, { fixture: string; nodes: string[]; severity: 'error' | 'warn' }> = {
  'odoo-mw-secret-in-flow': {
    fixture: 'secret-in-flow.json',
    nodes: ['broker-url', 'change-password', 'comment-key', 'conn-exported', 'fn-assigned', 'fn-hex', 'request-bearer', 'tab-secrets', 'webhook-secret'],
    severity: 'error',
  },
  'odoo-mw-webhook-unsigned': { fixture: 'webhook-unsigned.json', nodes: ['hook-default', 'hook-none'], severity: 'error' },
  'odoo-mw-write-unprotected': { fixture: 'write-unprotected.json', nodes: ['write-debug-only', 'write-scheduled'], severity: 'error' },
  'odoo-mw-connection-policy': { fixture: 'connection-policy.json', nodes: ['call-outside', 'conn-bad', 'precondition-outside', 'read-outside', 'upsert-outside', 'write-ro'], severity: 'error' },
  'odoo-mw-production-plain-http': { fixture: 'production-plain-http.json', nodes: ['conn-plain'], severity: 'warn' },
  'odoo-mw-function-external-modules': { fixture: 'function-external-modules.json', nodes: ['fn-import', 'fn-libs', 'fn-require'], severity: 'warn' },
  'odoo-mw-http-in-unauthenticated': { fixture: 'http-in-unauthenticated.json', nodes: ['open', 'via-link'], severity: 'warn' },
};

describe('lint rules', () => {
  it('has a fixture for every rule', () => {
    assert.deepEqual(RULES.map((r) => r.id).sort(), Object.keys(expected).sort());
  });

  for (const rule of RULES) {
    const { fixture, nodes, severity } = expected[rule.id];
    it(`${rule.id} fires on ${fixture} for exactly the offending nodes`, () => {
      const findings = lintFlows(load(fixture));
      assert.deepEqual(ids(findings, rule.id), nodes);
      assert.ok(findings.filter((f) => f.rule === rule.id).every((f) => f.severity === severity && f.message.length > 0));
    });
  }

  it('is silent on a clean flow that uses every protection', () => {
    assert.deepEqual(lintFlows(load('clean.json')), []);
  });

  it('never repeats a secret in its message', () => {
    const secrets = ['tok-31337-live', '0123456789abcdef0123456789abcdef01234567', 'shop-key-do-not-share', '9f86d081884c7d659a2f', 'hunter2', 'eyJhbGciOiJIUzI1NiJ9', 's3cr3t-pw', 'whsec_abcdef'];
    for (const finding of lintFlows(load('secret-in-flow.json'))) {
      for (const secret of secrets) assert.ok(!finding.message.includes(secret), `${finding.nodeId}: ${finding.message}`);
    }
  });

  it('names the line of a secret in function code', () => {
    const flow = [{ id: 'f', type: 'function', z: 't', name: 'sign', func: 'const a = 1;\n\nconst token = "abcd-efgh-ijkl";\nreturn msg;' }, { id: 't', type: 'tab' }];
    const [finding] = lintFlows(flow);
    assert.equal(finding.rule, 'odoo-mw-secret-in-flow');
    assert.match(finding.message, /func line 3 holds a literal assigned to "token"/);
  });

  it('recognises HTTP basic credentials only when they decode to user:password', () => {
    const header = (value: string) => [{ id: 'r', type: 'http request', name: 'x', url: 'https://x', note: value }];
    assert.equal(lintFlows(header(`Basic ${Buffer.from('admin:admin123').toString('base64')}`)).length, 1);
    assert.equal(lintFlows(header('Basic authentication is handled by the proxy')).length, 0);
  });
});

describe('lint write protection', () => {
  const base = [
    { id: 't', type: 'tab' },
    { id: 'hook', type: 'webhook-in', z: 't', scheme: 'hmac', responseMode: 'flow', wires: [['w']] },
    { id: 'w', type: 'odoo-write', z: 't', name: 'create', operation: 'create', model: 'res.partner', wires: [['resp'], []] },
    { id: 'resp', type: 'http response', z: 't', wires: [] },
  ];
  const unprotected = (flow: unknown[]) => ids(lintFlows(flow), 'odoo-mw-write-unprotected');

  it('accepts any one delivery setting', () => {
    assert.deepEqual(unprotected(base), ['w']);
    for (const setting of ['once', 'retry', 'deadLetter']) {
      assert.deepEqual(unprotected(base.map((n) => (n.id === 'w' ? { ...n, [setting]: true } : n))), [], setting);
    }
  });

  it('accepts a failure answered to the caller of a flow-answered request', () => {
    const answered = [...base, { id: 'c', type: 'catch', z: 't', scope: ['w'], wires: [['resp']] }];
    assert.deepEqual(unprotected(answered), []);
    // A webhook answered 202 before the write has no caller left to tell.
    assert.deepEqual(unprotected(answered.map((n) => (n.id === 'hook' ? { ...n, responseMode: 'ack' } : n))), ['w']);
  });

  it('accepts a group-scoped Catch that reaches a retry, not one in another group', () => {
    const grouped = [
      ...base.map((n) => (n.id === 'w' ? { ...n, g: 'g1' } : n)),
      { id: 'g1', type: 'group', z: 't' },
      { id: 'g2', type: 'group', z: 't' },
      { id: 'c', type: 'catch', z: 't', g: 'g1', scope: 'group', wires: [['r']] },
      { id: 'r', type: 'middleware-retry', z: 't', g: 'g1', wires: [['w'], []] },
    ];
    assert.deepEqual(unprotected(grouped), []);
    assert.deepEqual(unprotected(grouped.map((n) => (n.id === 'c' ? { ...n, g: 'g2' } : n))), ['w']);
  });

  it('accepts a write fed by an event subscriber whose failure is nacked back to the bus', () => {
    const subscribed = [
      { id: 't', type: 'tab' },
      { id: 'sub', type: 'event-subscribe', z: 't', topic: 'odoo.res.partner', group: 'sales', wires: [['w']] },
      { id: 'w', type: 'odoo-write', z: 't', name: 'note', operation: 'call', model: 'res.partner', wires: [['done'], []] },
      { id: 'done', type: 'event-ack', z: 't', action: 'ack', wires: [[]] },
      { id: 'c', type: 'catch', z: 't', scope: ['w'], wires: [['nack']] },
      { id: 'nack', type: 'event-ack', z: 't', action: 'nack', wires: [[]] },
    ];
    assert.deepEqual(unprotected(subscribed), []);
    assert.deepEqual(unprotected(subscribed.map((n) => (n.id === 'nack' ? { ...n, action: 'ack' } : n))), ['w'], 'an ack on failure drops the event');
    assert.deepEqual(unprotected(subscribed.map((n) => (n.id === 'c' ? { ...n, scope: ['done'] } : n))), ['w'], 'no Catch covering the write');
  });

  it('ignores a disabled Catch', () => {
    const flow = [...base, { id: 'c', type: 'catch', z: 't', scope: ['w'], d: true, wires: [['r']] }, { id: 'r', type: 'middleware-retry', z: 't', wires: [[], []] }];
    assert.deepEqual(unprotected(flow), ['w']);
  });
});

describe('lint config and suppression', () => {
  it('changes a severity or turns a rule off from the config', () => {
    const flow = load('webhook-unsigned.json');
    assert.ok(lintFlows(flow, { rules: { 'odoo-mw-webhook-unsigned': 'warn' } }).every((f) => f.severity === 'warn'));
    assert.deepEqual(lintFlows(flow, { rules: { 'odoo-mw-webhook-unsigned': 'off' } }), []);
  });

  it("honours nrlint's comment on the node, its group or its tab", () => {
    const off = '// nrlint odoo-mw-webhook-unsigned:off';
    const flow = (where: 'node' | 'group' | 'tab') => [
      { id: 't', type: 'tab', info: where === 'tab' ? off : '' },
      { id: 'g', type: 'group', z: 't', info: where === 'group' ? `why\n${off}` : '' },
      { id: 'h', type: 'webhook-in', z: 't', g: 'g', scheme: 'none', info: where === 'node' ? off : '' },
    ];
    for (const where of ['node', 'group', 'tab'] as const) assert.deepEqual(lintFlows(flow(where)), [], where);
    assert.equal(lintFlows([{ id: 'h', type: 'webhook-in', scheme: 'none', info: '// nrlint odoo-mw-secret-in-flow:off' }]).length, 1);
  });

  it('lists errors before warnings', () => {
    const findings = lintFlows([...(load('production-plain-http.json') as unknown[]), ...(load('webhook-unsigned.json') as unknown[])]);
    assert.deepEqual([...new Set(findings.map((f) => f.severity))], ['error', 'warn']);
  });

  it('reads the runtime export shape and refuses what is not a flow', () => {
    assert.equal(lintFlows({ rev: 'abc', flows: load('webhook-unsigned.json') }).length, 2);
    assert.throws(() => lintFlows({ nodes: [] }), /JSON array of nodes/);
    assert.throws(() => lintFlows([{ id: 'x' }]), /entry 0 .* "id" and "type"/);
  });
});

describe('shipped flows', () => {
  const root = path.resolve(__dirname, '..', '..', '..', '..', 'flows');
  const files = ['flows.json', ...fs.readdirSync(path.join(root, 'examples')).map((f) => path.join('examples', f))];
  for (const file of files) {
    it(`${file} lints clean: no error, no warning`, () => {
      assert.deepEqual(lintFlows(JSON.parse(fs.readFileSync(path.join(root, file), 'utf8'))), []);
    });
  }
});
