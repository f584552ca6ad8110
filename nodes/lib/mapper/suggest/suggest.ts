/**
 * Proposes mapping rules from a sample payload to a target (a canonical schema or an Odoo model): for each
 * target field the source field whose words match best, weighed by whether its value fits the field's type and
 * format, with the transforms that value needs. Arrays of lines become one `map` rule whose own rules are found
 * the same way. Deterministic: the same sample and target always give the same rules in the same order.
 */
import type { MappingRule, Source, TransformSpec } from '../types';
import { readSample, mergeShape, type SourceCollection, type SourceField } from './sources';
import type { Target, TargetField } from './targets';
import { EXCLUSIVE, RELATED, UNWANTED_QUALIFIERS, WEAK_WORDS, tokenize } from './tokens';
import type { ValueKind } from './detect';

export interface Suggestion extends MappingRule {
  /** 0..1: how sure the suggester is (name match times type fit). */
  confidence: number;
  /** Why, in a few words, for the editor. */
  reason: string;
}

export interface UnmappedTarget {
  path: string;
  required: boolean;
}

export interface SuggestResult {
  rules: Suggestion[];
  unmapped: { targets: UnmappedTarget[]; sources: string[] };
}

export interface SuggestOptions {
  /** Suggestions below this confidence are left out (default 0.5). */
  minConfidence?: number;
}

/** A source as a rule reads it: a field, or a first and last name joined. */
interface Candidate {
  field: SourceField;
  leaf: string[];
  context: string[];
  /** Second field of a joined name. */
  joinWith?: string;
}

interface Scored {
  candidate: Candidate;
  confidence: number;
  name: number;
  fit: number;
}

const DEFAULT_MIN_CONFIDENCE = 0.5;
/** Words that make a line a line, whatever the collection is called. */
const LINE_WORDS = ['line', 'product'];

export function suggestMapping(sample: unknown, target: Target, options: SuggestOptions = {}): SuggestResult {
  const minConfidence = options.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const shape = readSample(sample);
  const self = new Set(target.selfWords.flatMap((w) => tokenize(w)));
  const used = new Set<string>();
  const unmappedTargets: UnmappedTarget[] = [];
  const rules: Suggestion[] = [];

  // Collections first: the array chosen for the lines is not also read as single fields.
  const taken = new Set<string>();
  const collectionRules = new Map<string, Suggestion>();
  for (const field of target.fields) {
    if (!field.items) continue;
    const found = bestCollection(field, shape.collections.filter((c) => !taken.has(c.path)), self, minConfidence);
    if (!found) continue;
    taken.add(found.collection.path);
    collectionRules.set(field.path, found.rule);
    used.add(found.collection.path);
    for (const path of found.used) used.add(path);
    for (const t of found.unmapped) unmappedTargets.push({ path: `${field.path}[].${t.path}`, required: t.required });
  }

  const candidates = withJoinedNames(shape.fields.filter((f) => !(f.collection && taken.has(f.collection))));
  const allWords = target.fields.map((f) => new Set(tokenize(f.path.split('.').pop() ?? '')));
  for (const [index, field] of target.fields.entries()) {
    const collectionRule = collectionRules.get(field.path);
    if (collectionRule) {
      rules.push(collectionRule);
      continue;
    }
    // Words of the other fields: a source speaking of one of them (`shipping_tax` for taxAmount) is about that one.
    const siblings = new Set(allWords.flatMap((words, i) => (i === index ? [] : [...words].filter((w) => !allWords[index].has(w)))));
    const best = field.items ? undefined : bestSource(field, candidates, { self, siblings, lines: target.lines === true });
    if (!best || best.confidence < minConfidence) {
      unmappedTargets.push({ path: field.path, required: field.required });
      continue;
    }
    rules.push(toRule(field, best));
    used.add(best.candidate.field.path);
    if (best.candidate.joinWith) used.add(best.candidate.joinWith);
  }

  const sources = shape.fields.filter((f) => !f.viaIndex && !used.has(f.path)).map((f) => f.path);
  for (const c of shape.collections) {
    if (c.path.includes('[')) continue;
    const inner = readSample(mergeShape(c.items)).fields.filter((f) => !f.viaIndex && !used.has(`${c.path}[].${f.path}`));
    sources.push(...inner.map((f) => `${c.path}[].${f.path}`));
  }
  return { rules, unmapped: { targets: unmappedTargets, sources } };
}

/** Rules as the canonical-mapper runs them: the suggester's confidence and reason removed, at every level. */
export function toMappingRules(suggestions: ReadonlyArray<MappingRule & Partial<Suggestion>>): MappingRule[] {
  return suggestions.map(({ confidence: _c, reason: _r, ...rule }) => {
    if (!rule.transforms) return rule;
    return {
      ...rule,
      transforms: rule.transforms.map((t) => (typeof t === 'object' && t.type === 'map' ? { ...t, rules: toMappingRules(t.rules) } : t)),
    };
  });
}

function bestCollection(field: TargetField, collections: SourceCollection[], self: Set<string>, minConfidence: number): { collection: SourceCollection; rule: Suggestion; used: string[]; unmapped: UnmappedTarget[] } | undefined {
  let best: { collection: SourceCollection; rule: Suggestion; used: string[]; unmapped: UnmappedTarget[]; score: number } | undefined;
  const items = field.items ?? [];
  const lineSelf = new Set([...self, ...LINE_WORDS, ...tokenize(field.path)]);
  for (const collection of collections) {
    const inner = suggestMapping(mergeShape(collection.items), { selfWords: [...lineSelf], fields: items, lines: true }, { minConfidence });
    if (inner.rules.length === 0) continue;
    // How much of a line the elements fill, required fields counting double.
    let got = 0;
    let total = 0;
    for (const item of items) {
      const weight = item.required ? 2 : 1;
      total += weight;
      const rule = inner.rules.find((r) => r.target === item.path);
      if (rule) got += weight * rule.confidence;
    }
    const fill = total === 0 ? 0 : got / total;
    const named = nameScore(tokenize(field.path), [], collection.leaf, collection.context, new Set(self));
    const score = round(Math.min(1, 0.65 * fill + 0.35 * named + (collection.path.includes('[') ? -0.1 : 0)));
    if (fill < 0.3 || score < minConfidence * 0.6) continue;
    if (best && (score < best.score || (score === best.score && collection.path >= best.collection.path))) continue;
    const rule: Suggestion = {
      target: field.path,
      source: { kind: 'path', path: collection.path },
      transforms: [{ type: 'map', rules: inner.rules }],
      confidence: score,
      reason: `array of ${collection.items.length} line(s); ${inner.rules.length} of ${items.length} line fields found`,
    };
    const used = inner.rules.flatMap((r) => sourcePaths(r).map((p) => `${collection.path}[].${p}`));
    best = { collection, rule, used, unmapped: inner.unmapped.targets, score };
  }
  return best;
}

function sourcePaths(rule: MappingRule): string[] {
  const out: string[] = [];
  if (rule.source.kind === 'path') out.push(rule.source.path);
  for (const t of rule.transforms ?? []) if (typeof t === 'object' && t.type === 'concat') for (const s of t.sources) if (s.kind === 'path') out.push(s.path);
  return out;
}

/** Each field as itself, plus every first/last name pair under one parent as one joined name. */
function withJoinedNames(fields: SourceField[]): Candidate[] {
  const out: Candidate[] = fields.map((field) => ({ field, leaf: field.leaf, context: field.context }));
  for (const first of fields) {
    if (!first.leaf.includes('first') || !first.leaf.includes('name') || first.kind !== 'text') continue;
    const rest = first.leaf.filter((w) => w !== 'first' && w !== 'name');
    const parent = first.path.slice(0, first.path.length - lastKey(first.path).length);
    const last = fields.find(
      (f) => f.path.startsWith(parent) && lastKey(f.path) === f.path.slice(parent.length) && f.leaf.includes('last') && f.leaf.includes('name') && sameWords(f.leaf.filter((w) => w !== 'last' && w !== 'name'), rest),
    );
    if (last) out.push({ field: first, leaf: ['name'], context: [...first.context, ...rest], joinWith: last.path });
  }
  return out;
}

const lastKey = (path: string): string => /[^.[\]]+$/.exec(path)?.[0] ?? path;
const sameWords = (a: string[], b: string[]): boolean => a.length === b.length && a.every((w) => b.includes(w));

interface Scope {
  self: Set<string>;
  siblings: Set<string>;
  lines: boolean;
}

function bestSource(field: TargetField, candidates: Candidate[], scope: Scope): Scored | undefined {
  const { self, siblings } = scope;
  const segments = field.path.split('.');
  const leaf = tokenize(segments[segments.length - 1]);
  const context = segments.slice(0, -1).flatMap((s) => tokenize(s));
  const labelWords = field.label ? tokenize(field.label) : [];
  const gross = !scope.lines && grossWanted(field, leaf, context);
  const extra = impliedWords(field, leaf, context, gross);
  let best: Scored | undefined;
  for (const candidate of candidates) {
    const fit = typeFit(field, candidate);
    if (fit <= 0.1) continue;
    let name = nameScore(leaf, context, candidate.leaf, candidate.context, self, extra, siblings);
    if (labelWords.length > 0) name = Math.max(name, 0.95 * nameScore(labelWords, context, candidate.leaf, candidate.context, self, extra, siblings));
    name *= amountPreference(field, gross, candidate);
    // A source saying what the target means without saying it (`subtotal` for a line total before tax) is the better one.
    if (extra.some((w) => candidate.leaf.includes(w) || candidate.context.includes(w))) name = Math.min(1, name * 1.05);
    if (candidate.field.viaIndex) name *= 0.95;
    const confidence = round(name * fit);
    if (confidence <= 0) continue;
    if (best && !better(confidence, candidate, best)) continue;
    best = { candidate, confidence, name, fit };
  }
  return best;
}

/** Higher confidence wins; then a joined name over one of its parts, then the shorter path, then the first in order. */
function better(confidence: number, candidate: Candidate, best: Scored): boolean {
  if (confidence !== best.confidence) return confidence > best.confidence;
  const depth = (c: Candidate): number => c.field.path.split(/[.[]/).length;
  return depth(candidate) < depth(best.candidate);
}

/**
 * Words a target means without saying them: a document's date is when it was made (`created`, never
 * `updated`); the document's total includes tax, any other amount is before tax.
 */
function impliedWords(field: TargetField, leaf: string[], context: string[], gross: boolean): string[] {
  if ((field.format === 'date' || field.format === 'date-time') && !leaf.includes('updated') && !context.includes('updated')) return ['created'];
  if (field.money) return gross ? ['incl', 'paid'] : ['excl'];
  return [];
}

const grossWanted = (field: TargetField, leaf: string[], context: string[]): boolean => context.length === 0 && leaf.includes('total') && !field.path.includes('.');

/**
 * The document's total is what the customer pays, tax included; every other amount (unit price, line total,
 * shipping) is before tax, as the canonical schemas define them and Odoo's price_unit is.
 */
function amountPreference(field: TargetField, gross: boolean, candidate: Candidate): number {
  if (!field.money) return 1;
  const words = [...candidate.leaf, ...candidate.context];
  // A rate is not an amount, nor is an id or a number.
  if (words.includes('percent')) return 0.3;
  if (candidate.leaf.includes('id') || candidate.leaf.includes('number')) return 0.4;
  if (words.includes(gross ? 'excl' : 'incl')) return 0.85;
  return 1;
}

/** The credit a word gets from a related one among `words` (0 when there is none). */
function relatedCredit(word: string, words: Iterable<string>): number {
  const present = new Set(words);
  return Math.max(0, ...RELATED.filter(([a, b]) => (a === word && present.has(b)) || (b === word && present.has(a))).map(([, , credit]) => credit));
}

function weight(word: string): number {
  return WEAK_WORDS.has(word) ? 0.15 : 1;
}

/**
 * How well a source's words name a target field, 0..1. The target's last key must be found; its parents
 * count for less; source words the target does not have (wrappers, qualifiers) cost a little; a word of an
 * exclusive pair on the other side (billing vs shipping) costs a lot.
 */
function nameScore(
  tLeafAll: string[],
  tContextAll: string[],
  sLeafAll: string[],
  sContextAll: string[],
  self: Set<string>,
  implied: string[] = [],
  siblings: Set<string> = new Set(),
): number {
  const keep = (w: string): boolean => !self.has(w);
  const tLeaf = tLeafAll.filter(keep);
  const tContext = tContextAll.filter(keep);
  const sLeaf = sLeafAll.filter(keep);
  const sContext = sContextAll.filter(keep);
  const sAll = new Set([...sLeaf, ...sContext]);
  const tAll = new Set([...tLeaf, ...tContext, ...implied]);
  if (tLeaf.length === 0 || sLeaf.length === 0) return 0;

  let leafScore: number;
  // A scalar named after the thing a target id belongs to is its reference (`customer: "cus_123"` for customer.id).
  if (tLeaf.length === 1 && tLeaf[0] === 'id' && sLeaf.every((w) => tContext.includes(w)) && !sAll.has('id')) {
    leafScore = 0.85;
  } else {
    let found = 0;
    let total = 0;
    for (const w of tLeaf) {
      total += weight(w);
      if (sLeaf.includes(w)) found += weight(w);
      else if (sContext.includes(w)) found += 0.7 * weight(w);
      else found += weight(w) * relatedCredit(w, sLeaf);
    }
    leafScore = found / total;
    if (leafScore < 0.5) return 0;
  }

  let contextScore = 1;
  if (tContext.length > 0) {
    let found = 0;
    let total = 0;
    for (const w of tContext) {
      total += weight(w);
      if (sAll.has(w)) found += weight(w);
      else found += weight(w) * relatedCredit(w, sAll);
    }
    contextScore = found / total;
  }

  let noise = 0;
  let mass = 0;
  const related = (w: string): boolean => RELATED.some(([a, b]) => (b === w && tAll.has(a)) || (a === w && tAll.has(b)));
  for (const w of sLeaf) {
    mass += weight(w);
    if (!tAll.has(w) && !related(w)) noise += weight(w) * (siblings.has(w) ? 2 : 1);
  }
  for (const w of sContext) {
    mass += 0.35 * weight(w);
    if (!tAll.has(w) && !related(w)) noise += 0.35 * weight(w) * (siblings.has(w) ? 2 : 1);
  }
  const noiseShare = mass === 0 ? 0 : Math.min(1, noise / mass);

  let conflict = 1;
  for (const group of EXCLUSIVE) {
    const wanted = group.filter((w) => tAll.has(w));
    const offered = group.filter((w) => sAll.has(w));
    if (wanted.length > 0 && offered.some((w) => !wanted.includes(w))) conflict *= 0.25;
  }
  for (const w of sAll) if (UNWANTED_QUALIFIERS.has(w) && !tAll.has(w)) conflict *= 0.7;
  return leafScore * (0.55 + 0.45 * contextScore) * (1 - 0.4 * noiseShare) * conflict;
}

/** How well a value fits the field's type and format, 0..1. */
function typeFit(field: TargetField, candidate: Candidate): number {
  const kind = candidate.field.kind;
  if (candidate.joinWith) return field.type === 'string' && !field.format ? 1 : 0;
  if (kind === 'object' || kind === 'array') return 0;
  // An empty value in the sample says nothing against the name.
  if (kind === 'empty') return 0.7;
  if (field.enum) {
    if (field.enum.includes(candidate.field.value)) return 1;
    return kind === 'text' ? 0.7 : 0.1;
  }
  switch (field.format) {
    case 'date-time':
      return pick(kind, { datetime: 1, 'epoch-seconds': 0.95, 'epoch-ms': 0.95, date: 0.8 }, 0.05);
    case 'date':
      return pick(kind, { date: 1, datetime: 0.9, 'epoch-seconds': 0.85, 'epoch-ms': 0.85 }, 0.05);
    case 'email':
      return pick(kind, { email: 1, text: 0.3 }, 0);
    case 'country':
      return pick(kind, { country: 1, text: 0.35 }, 0);
    case 'currency':
      return pick(kind, { currency: 1, text: 0.2 }, 0);
    case 'uri':
      return pick(kind, { url: 1, text: 0.4 }, 0);
    case 'many2one':
      return pick(kind, { integer: 0.8, 'numeric-text': 0.6 }, 0.05);
    default:
      break;
  }
  switch (field.type) {
    case 'number':
      return pick(kind, { number: 1, integer: 1, 'numeric-text': 0.95 }, 0);
    case 'integer':
      return pick(kind, { integer: 1, 'numeric-text': Number.isInteger(Number(candidate.field.value)) ? 0.8 : 0, number: 0.4 }, 0);
    case 'boolean':
      return pick(kind, { boolean: 1, integer: 0.5, text: 0.5 }, 0);
    case 'string':
      return pick(kind, { text: 1, email: 0.6, country: 0.8, currency: 0.8, 'numeric-text': 0.8, integer: 0.75, number: 0.6, url: 0.7, datetime: 0.4, date: 0.4, 'epoch-seconds': 0.3, 'epoch-ms': 0.3, boolean: 0.2 }, 0);
    case 'any':
      return 0.7;
    default:
      return 0;
  }
}

function pick(kind: ValueKind, table: Partial<Record<ValueKind, number>>, otherwise: number): number {
  return table[kind] ?? otherwise;
}

const round = (n: number): number => Math.round(n * 100) / 100;

/** `a.b[0]` as a JSONata path; keys that are not plain names are quoted in backticks. */
function jsonataPath(path: string): string {
  return path
    .split('.')
    .map((part) => part.replace(/^([^[]+)/, (key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `\`${key}\``)))
    .join('.');
}

function toRule(field: TargetField, best: Scored): Suggestion {
  const { candidate } = best;
  const source = candidate.field;
  let ruleSource: Source = { kind: 'path', path: source.path };
  const transforms: TransformSpec[] = [];
  const notes: string[] = [];
  if (candidate.joinWith) {
    transforms.push({ type: 'concat', sources: [{ kind: 'path', path: candidate.joinWith }], separator: ' ' }, 'trim');
    notes.push(`first and last name joined`);
  } else if (field.enum && !field.enum.includes(source.value)) {
    const table: Record<string, unknown> = {};
    if (source.value !== null && source.value !== undefined) table[String(source.value)] = guessEnum(String(source.value), field.enum);
    transforms.push({ type: 'lookup', table });
    notes.push(`values differ from ${field.enum.map(String).join('/')}: complete the lookup table`);
  } else if (field.format === 'date-time' || field.format === 'date') {
    const write = field.odoo ? (field.format === 'date' ? 'odooDate' : 'odooDatetime') : field.format === 'date' ? 'date' : 'datetime';
    if (source.kind === 'epoch-seconds') {
      ruleSource = { kind: 'jsonata', expr: `$fromMillis(${jsonataPath(source.path)} * 1000)` };
      notes.push('Unix time in seconds');
    }
    transforms.push(write);
  } else if (field.format === 'email') {
    transforms.push('trim', 'lower');
  } else if (field.format === 'country' || field.format === 'currency') {
    transforms.push('trim', 'upper');
    if (source.kind === 'text') notes.push(`'${String(source.value)}' is not a ${field.format} code: a lookup may be needed`);
  } else if (field.format === 'many2one') {
    transforms.push('integer');
    notes.push('an Odoo record id');
  } else if (field.money) {
    if (source.minorUnits) {
      const divisor = 'by' in source.minorUnits ? String(source.minorUnits.by) : `$power(10, ${jsonataPath(source.minorUnits.fractionDigits)})`;
      ruleSource = { kind: 'jsonata', expr: `${jsonataPath(source.path)} / ${divisor}` };
      notes.push('an amount in minor units (cents)');
    } else if (source.kind === 'integer') {
      notes.push('a whole number: check whether it is in minor units (cents)');
    }
    transforms.push({ type: 'currency' });
  } else if (field.type === 'number') {
    transforms.push('number');
  } else if (field.type === 'integer') {
    transforms.push('integer');
  } else if (field.type === 'boolean') {
    transforms.push('boolean');
  } else if (field.type === 'string') {
    if (source.kind === 'text' || source.kind === 'empty') transforms.push('trim');
    else transforms.push('string');
  }
  const reason = [`${source.path}${candidate.joinWith ? ` + ${candidate.joinWith}` : ''} (name ${round(best.name)}, ${source.kind} ${round(best.fit)})`, ...notes].join('; ');
  const rule: Suggestion = { target: field.path, source: ruleSource, confidence: best.confidence, reason };
  if (transforms.length > 0) rule.transforms = transforms;
  return rule;
}

/** The enum value a status word most likely means, or null for the user to fill in. */
function guessEnum(value: string, options: unknown[]): unknown {
  const words = tokenize(value);
  for (const option of options) {
    if (typeof option === 'string' && tokenize(option).some((w) => words.includes(w))) return option;
  }
  for (const [meaning, synonyms] of STATUS_MEANINGS) {
    if (options.includes(meaning) && words.some((w) => synonyms.includes(w))) return meaning;
  }
  return null;
}

/** Common status words of shops and payment providers, by the canonical status they mean. */
const STATUS_MEANINGS: Array<[string, string[]]> = [
  ['draft', ['new', 'pending', 'open', 'awaiting', 'quote', 'draft', 'unpaid', 'hold']],
  ['confirmed', ['complete', 'completed', 'paid', 'processing', 'fulfilled', 'shipped', 'accepted', 'confirmed', 'valid', 'captured', 'succeeded']],
  ['cancelled', ['cancelled', 'canceled', 'refunded', 'failed', 'declined', 'voided', 'expired', 'rejected']],
];
