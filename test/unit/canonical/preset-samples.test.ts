import { strict as assert } from 'node:assert';
import { createMapperEngine } from '../../../nodes/lib/canonical/engine';
import { PRESETS, PRESET_SAMPLES } from '../../../nodes/lib/canonical/presets';
import { canonicalRegistry } from '../../../nodes/lib/canonical/schemas';

describe('preset samples (prefilled in the editor)', () => {
  it('there is one per preset', () => {
    assert.deepEqual(Object.keys(PRESET_SAMPLES).sort(), PRESETS.map((p) => p.id).sort());
  });

  for (const preset of PRESETS) {
    if (preset.odoo === 'required') {
      it(`${preset.id}: the sample is a valid ${preset.inputSchema?.split('/').slice(-2)[0]} (the preset needs Odoo to map it)`, () => {
        assert.ok(preset.inputSchema);
        assert.deepEqual(canonicalRegistry().get(preset.inputSchema).validate(PRESET_SAMPLES[preset.id]), []);
      });
      continue;
    }
    it(`${preset.id}: the sample maps without an Odoo connection and passes the output schema`, async () => {
      const engine = createMapperEngine({ mode: 'preset', preset: preset.id, schema: { type: 'canonical' } });
      const result = await engine.run(PRESET_SAMPLES[preset.id]);
      assert.ok(result.ok, JSON.stringify(result));
      assert.ok(Object.keys(result.output).length > 2);
    });
  }
});
