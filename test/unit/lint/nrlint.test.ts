/** nrlint's own linter (the one its sidebar worker and CLI run) gives the same findings as the CLI's engine. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { lintFlows } from '../../../nodes/lib/lint/engine';
import { RULES } from '../../../nodes/lib/lint/rules';

// nrlint ships no types; its linter is CommonJS with init({resolveRule}) and lint(flow, config).
const linter = require('nrlint/lib/linter') as {
  init(options: { resolveRule: (name: string) => unknown }): void;
  lint(flow: unknown, config: { rules: Record<string, unknown> }): Array<{ rule: string; severity: string; location: string[]; message: string }>;
};
const plugin = require('../../../nodes/lib/lint/nrlint-plugin') as Record<string, { meta: { severity: string; docs: { description: string } } }>;

const fixtures = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'lint');

describe('lint rules in nrlint', () => {
  before(() => linter.init({ resolveRule: (name) => plugin[name] }));

  it('exports every rule with its severity and description', () => {
    assert.deepEqual(Object.keys(plugin), RULES.map((r) => r.id));
    for (const rule of RULES) {
      assert.equal(plugin[rule.id].meta.severity, rule.severity);
      assert.ok(plugin[rule.id].meta.docs.description.startsWith(rule.description));
    }
  });

  for (const file of fs.readdirSync(fixtures).filter((f) => f.endsWith('.json'))) {
    it(`finds what the CLI finds in ${file}`, () => {
      const flow = JSON.parse(fs.readFileSync(path.join(fixtures, file), 'utf8')) as unknown;
      const config = { rules: Object.fromEntries(RULES.map((r) => [r.id, true])) };
      const viaNrlint = linter.lint(flow, config).map((f) => `${f.rule} ${f.severity} ${f.location.join(',')} ${f.message}`);
      const viaCli = lintFlows(flow).map((f) => `${f.rule} ${f.severity} ${f.nodeId} ${f.message}`);
      assert.deepEqual(viaNrlint.sort(), viaCli.sort());
    });
  }

  it("takes a severity from nrlint's rule config", () => {
    const flow = JSON.parse(fs.readFileSync(path.join(fixtures, 'webhook-unsigned.json'), 'utf8')) as unknown;
    const found = linter.lint(flow, { rules: { 'odoo-mw-webhook-unsigned': { severity: 'warn' } } });
    assert.equal(found.length, 2);
    assert.ok(found.every((f) => f.severity === 'warn'));
  });
});
