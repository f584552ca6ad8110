/**
 * Mapping suggester quality on held-out order shapes (bench/suggest-shapes.ts): each proposed rule is a
 * (target, source) pair, compared with the hand-written mapping. Precision: right pairs / proposed pairs (optional
 * pairs left out of both counts); recall: right pairs / expected pairs. Also counts the shapes whose proposed
 * rules, accepted as they are, map their sample to a valid SalesOrder.
 */
import { canonicalDocuments, canonicalId, canonicalRegistry } from '../nodes/lib/canonical/schemas';
import { compileMapping } from '../nodes/lib/mapper/compile';
import { suggestMapping, targetFromJsonSchema, toMappingRules } from '../nodes/lib/mapper/suggest';
import type { MappingRule, Source, TransformSpec } from '../nodes/lib/mapper/types';
import { HELD_OUT, UNSEEN, type HeldOutShape } from './suggest-shapes';

/** `target -> source` for every rule, lines as `lines[].sku`; a joined name as `first+last`. */
export function pairs(rules: ReadonlyArray<MappingRule>, prefix = ''): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const rule of rules) {
    const target = prefix + rule.target;
    const map = rule.transforms?.find((t): t is Extract<TransformSpec, { type: 'map' }> => typeof t === 'object' && t.type === 'map');
    const concat = rule.transforms?.find((t): t is Extract<TransformSpec, { type: 'concat' }> => typeof t === 'object' && t.type === 'concat');
    out.push([target, [sourcePath(rule.source), ...(concat?.sources ?? []).map(sourcePath)].join('+')]);
    if (map) out.push(...pairs(map.rules, `${target}[].`));
  }
  return out;
}

/** A path source as its path; a conversion (Unix seconds, minor units) as the path it reads first. */
function sourcePath(source: Source): string {
  if (source.kind === 'path') return source.path;
  if (source.kind === 'jsonata') return (/\$fromMillis\((.+) \* 1000\)/.exec(source.expr)?.[1] ?? source.expr.split(' ')[0]).replace(/`/g, '');
  return '(constant)';
}

export async function benchSuggest(): Promise<Record<string, number>> {
  const heldOut = await evaluate(HELD_OUT);
  const unseen = await evaluate(UNSEEN);
  return {
    suggest_precision: heldOut.precision,
    suggest_recall: heldOut.recall,
    suggest_expected_pairs: heldOut.expected,
    suggest_valid_outputs: heldOut.valid,
    suggest_precision_unseen: unseen.precision,
    suggest_recall_unseen: unseen.recall,
    suggest_expected_pairs_unseen: unseen.expected,
    suggest_valid_outputs_unseen: unseen.valid,
    ...heldOut.figures,
    ...unseen.figures,
  };
}

async function evaluate(shapes: HeldOutShape[]): Promise<{ precision: number; recall: number; expected: number; valid: number; figures: Record<string, number> }> {
  let valid = 0;
  let proposed = 0;
  let right = 0;
  let expected = 0;
  const figures: Record<string, number> = {};
  for (const shape of shapes) {
    const schema = canonicalDocuments().find((d) => d.$id === canonicalId(shape.schema));
    if (!schema) throw new Error(`no canonical schema ${shape.schema}`);
    const result = suggestMapping(shape.sample, targetFromJsonSchema(schema, canonicalDocuments()));
    // Proposed rules must be runnable as they are; a valid document needs the payload to carry every required field.
    const mapped = await compileMapping(toMappingRules(result.rules))(shape.sample);
    if (mapped.errors.length === 0 && canonicalRegistry().get(canonicalId(shape.schema)).validate(mapped.output).length === 0) valid++;
    let shapeProposed = 0;
    let shapeRight = 0;
    for (const [target, source] of pairs(result.rules)) {
      const ok = shape.expected[target]?.includes(source) ?? false;
      if (!ok && shape.optional?.[target]?.includes(source)) continue;
      shapeProposed++;
      if (ok) shapeRight++;
      else if (process.env.SUGGEST_DEBUG) console.error(`${shape.name}: wrong ${target} <- ${source} (expected ${shape.expected[target]?.join(' | ') ?? 'nothing'})`);
    }
    if (process.env.SUGGEST_DEBUG) {
      const got = new Set(pairs(result.rules).map(([t, s]) => `${t}<-${s}`));
      for (const [t, sources] of Object.entries(shape.expected)) if (!sources.some((s) => got.has(`${t}<-${s}`))) console.error(`${shape.name}: missed ${t} <- ${sources.join(' | ')}`);
    }
    const shapeExpected = Object.keys(shape.expected).length;
    proposed += shapeProposed;
    right += shapeRight;
    expected += shapeExpected;
    figures[`suggest_precision_${shape.name.replace(/[^a-z0-9]+/g, '_')}`] = shapeProposed === 0 ? 0 : shapeRight / shapeProposed;
    figures[`suggest_recall_${shape.name.replace(/[^a-z0-9]+/g, '_')}`] = shapeRight / shapeExpected;
  }
  return { precision: proposed === 0 ? 0 : right / proposed, recall: right / expected, expected, valid, figures };
}
