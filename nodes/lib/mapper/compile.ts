/**
 * Compiles a rule list ONCE into a JavaScript function written for that list: each field read is a chain of
 * property loads on literal keys, each transform a direct call, each target a literal store, so V8 optimises a
 * mapping like hand-written code (closures shared by every rule would turn megamorphic and stay slow). Text from
 * the rules never becomes code: keys are emitted as JSON string literals, and constants, lookup tables,
 * separators and JSONata expressions (parsed here, once) are handed to the function as values. A running mapping
 * never throws on bad data; it collects one `{path, message}` per field that failed. A mapping with a JSONata
 * source is generated as an async function.
 */
import jsonata from 'jsonata';
import { MiddlewareError } from '../errors';
import { formatPath, parsePath, type PathSegment } from './paths';
import type { CompiledMapping, MappingResult, MappingRule, Source } from './types';
import * as values from './values';

export interface CompileProblem {
  /** Where the problem is, e.g. `rules[3]` or `rules[3].transforms[0].rules[1]`. */
  rule: string;
  target?: string;
  message: string;
}

/** A mapping that cannot compile: every problem found, each naming its rule. Thrown at deploy, never per message. */
export class MappingCompileError extends MiddlewareError {
  readonly problems: CompileProblem[];
  constructor(problems: CompileProblem[]) {
    const lines = problems.map((p) => `${p.rule}${p.target ? ` (target '${p.target}')` : ''}: ${p.message}`);
    super('mapping', `Invalid mapping: ${lines.join('; ')}`, { details: { problems } });
    this.name = 'MappingCompileError';
    this.problems = problems;
  }
}

export interface JsonataExpression {
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown> | unknown;
}

export interface CompileOptions {
  /** JSONata factory; tests inject a counting one. Default: the `jsonata` package. */
  jsonata?: (expr: string) => JsonataExpression;
}

/** JSONata throws plain objects `{code, position, message}`, not Errors. */
const errorMessage = (err: unknown): string =>
  err !== null && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string' ? (err as { message: string }).message : String(err);

/** Where a nested field's error points: `lines[2].sku` inside the map writing `lines`. */
const fieldPath = (at: string, index: number, target: string): string => (at === '' ? target : `${at}[${index}].${target}`);

/** What generated code calls; bound to local constants at the top of every generated function. */
const RUNTIME = {
  toText: values.toText,
  toNumber: values.toNumber,
  toInteger: values.toInteger,
  toBoolean: values.toBoolean,
  toIsoDate: values.toIsoDate,
  toIsoDatetime: values.toIsoDatetime,
  toOdooDatetime: values.toOdooDatetime,
  parseAmount: values.parseAmount,
  roundTo: values.roundTo,
  notString: values.notString,
  notArray: values.notArray,
  noLookupEntry: values.noLookupEntry,
  joinParts: values.joinParts,
  splitParts: values.splitParts,
  errorMessage,
  fieldPath,
  // A constant object or array is copied per message, so a flow that edits its output cannot change the mapping.
  copy: <T>(value: T): T => structuredClone(value),
};

/** Keys that would reach Object.prototype instead of a field. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const key = (segment: PathSegment): string => (typeof segment === 'number' ? String(segment) : JSON.stringify(segment));

export function compileMapping(rules: MappingRule[], options: CompileOptions = {}): CompiledMapping {
  const problems: CompileProblem[] = [];
  const generator = new Generator(options.jsonata ?? ((expr: string) => jsonata(expr)), problems, mentionsJsonata(rules));
  const entry = generator.ruleList(rules, 'rules');
  if (problems.length > 0) throw new MappingCompileError(problems);
  return generator.build(entry);
}

/** Runs a compiled mapping and always returns a promise. */
export async function runMapping(mapping: CompiledMapping, input: unknown): Promise<MappingResult> {
  return mapping(input);
}

/** Whether any rule, concat source or nested map evaluates JSONata (the generated code is then async). */
function mentionsJsonata(rules: unknown): boolean {
  if (!Array.isArray(rules)) return false;
  const isJsonata = (source: unknown): boolean => (source as { kind?: unknown } | null)?.kind === 'jsonata';
  return rules.some((rule: unknown) => {
    if (rule === null || typeof rule !== 'object') return false;
    const { source, transforms } = rule as { source?: unknown; transforms?: unknown };
    if (isJsonata(source)) return true;
    if (!Array.isArray(transforms)) return false;
    return transforms.some((t: unknown) => {
      if (t === null || typeof t !== 'object') return false;
      const spec = t as { type?: unknown; sources?: unknown; rules?: unknown };
      if (spec.type === 'concat' && Array.isArray(spec.sources)) return spec.sources.some(isJsonata);
      return spec.type === 'map' && mentionsJsonata(spec.rules);
    });
  });
}

class Generator {
  private readonly constants: unknown[] = [];
  private readonly functions: string[] = [];
  /** `await ` in an async mapping, nothing otherwise. */
  private readonly wait: string;
  private readonly fn: string;

  constructor(
    private readonly jsonataFactory: (expr: string) => JsonataExpression,
    private readonly problems: CompileProblem[],
    private readonly async: boolean,
  ) {
    this.wait = async ? 'await ' : '';
    this.fn = async ? 'async function' : 'function';
  }

  /** Assembles the generated functions; `entry` is the top-level rule list's function. */
  build(entry: string): CompiledMapping {
    const names = Object.keys(RUNTIME);
    const source = [
      '"use strict";',
      `const { ${names.join(', ')} } = runtime;`,
      ...this.constants.map((_, i) => `const k${i} = constants[${i}];`),
      ...this.functions,
      `return ${this.fn} mapping(input) { const errors = []; const output = ${this.wait}${entry}(input, input, errors, '', -1); return { output, errors }; };`,
    ].join('\n');
    let mapping: CompiledMapping;
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the point of compiling: source built above from checked rules only
      mapping = new Function('runtime', 'constants', source)(RUNTIME, this.constants) as CompiledMapping;
    } catch (err) {
      throw new MappingCompileError([{ rule: 'rules', message: `could not generate the mapping function: ${errorMessage(err)}` }]);
    }
    Object.defineProperty(mapping, 'async', { value: this.async, enumerable: true });
    return mapping;
  }

  /** Emits a function `(input, root, errors, at, index) => output` for a rule list and returns its name. */
  ruleList(rules: unknown, where: string): string {
    const name = `rules${this.functions.length}`;
    this.functions.push(''); // reserves the slot, so nested maps come after their parent
    const slot = this.functions.length - 1;
    const body: string[] = [];
    if (!Array.isArray(rules)) {
      this.problems.push({ rule: where, message: `expected an array of rules, got ${values.describe(rules)}` });
    } else {
      rules.forEach((rule: unknown, i) => {
        const code = this.rule(rule, `${where}[${i}]`);
        if (code) body.push(code);
      });
    }
    this.functions[slot] = [
      `${this.fn} ${name}(input, root, errors, at, index) {`,
      '  const out = {};',
      '  let v, c, t, n;',
      ...body,
      '  return out;',
      '}',
    ].join('\n');
    return name;
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `k${this.constants.length - 1}`;
  }

  private rule(rule: unknown, where: string): string | undefined {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      this.problems.push({ rule: where, message: `expected a rule object {target, source, transforms?}, got ${values.describe(rule)}` });
      return undefined;
    }
    const { target, source, transforms } = rule as Partial<MappingRule>;
    const before = this.problems.length;
    const problem = (message: string): void => {
      this.problems.push({ rule: where, target: typeof target === 'string' ? target : undefined, message });
    };
    let segments: PathSegment[] = [];
    try {
      segments = parsePath(target as string);
      checkKeys(segments);
    } catch (err) {
      problem(`target: ${errorMessage(err)}`);
    }
    const targetPath = segments.length > 0 ? formatPath(segments) : '';
    const read = this.source(source, problem, 'source', 'v');
    const steps: string[] = [];
    if (transforms !== undefined) {
      if (!Array.isArray(transforms)) problem(`transforms: expected an array, got ${values.describe(transforms)}`);
      else transforms.forEach((t, i) => steps.push(this.transform(t, `${where}.transforms[${i}]`, problem, i, targetPath)));
    }
    if (this.problems.length > before || read === undefined) return undefined;
    const path = JSON.stringify(targetPath);
    return [
      `  // ${where}: ${targetPath.replace(/[\r\n\u2028\u2029]/g, ' ')}`,
      '  try {',
      read,
      ...steps,
      // Absent and null both mean "no value": the field is left out (use the `default` transform to fill it).
      `    if (v !== undefined && v !== null) {${store(segments)} }`,
      `  } catch (e) { errors.push({ path: fieldPath(at, index, ${path}), message: errorMessage(e) }); }`,
    ].join('\n');
  }

  /** Statements that put the source's value into `into` (`v`, or `c` for concat parts); undefined when invalid. */
  private source(source: unknown, problem: (m: string) => void, label: string, into: string): string | undefined {
    if (source === null || typeof source !== 'object') {
      problem(`${label}: expected {kind: 'path'|'const'|'jsonata', ...}, got ${values.describe(source)}`);
      return undefined;
    }
    const s = source as Source;
    switch (s.kind) {
      case 'path': {
        const fromRoot = typeof s.path === 'string' && /^\$root(\.|\[|$)/.test(s.path.trim());
        const rest = fromRoot ? s.path.trim().replace(/^\$root\.?/, '') : s.path;
        const start = fromRoot ? 'root' : 'input';
        if (fromRoot && rest === '') return `    ${into} = root;`;
        try {
          const segments = parsePath(rest);
          checkKeys(segments);
          return [`    ${into} = ${start};`, ...segments.map((seg) => `    ${into} = ${into} !== null && typeof ${into} === 'object' ? ${into}[${key(seg)}] : undefined;`)].join('\n');
        } catch (err) {
          problem(`${label}.path: ${errorMessage(err)}`);
          return undefined;
        }
      }
      case 'const': {
        const value = s.value;
        const k = this.constant(value);
        return value !== null && typeof value === 'object' ? `    ${into} = copy(${k});` : `    ${into} = ${k};`;
      }
      case 'jsonata': {
        if (typeof s.expr !== 'string' || s.expr.trim() === '') {
          problem(`${label}.expr: expected a JSONata expression`);
          return undefined;
        }
        try {
          const k = this.constant(this.jsonataFactory(s.expr));
          return `    ${into} = ${this.wait}${k}.evaluate(input, { root });`;
        } catch (err) {
          const position = (err as { position?: number }).position;
          problem(`${label}.expr: JSONata syntax error${position !== undefined ? ` at position ${position}` : ''}: ${errorMessage(err)}`);
          return undefined;
        }
      }
      default:
        problem(`${label}.kind: expected 'path', 'const' or 'jsonata', got ${values.describe((s as { kind?: unknown }).kind)}`);
        return undefined;
    }
  }

  /** Statements turning `v` into the transform's result; a missing value (undefined/null) skips conversions. */
  private transform(spec: unknown, where: string, problem: (m: string) => void, index: number, targetPath: string): string {
    const fail = (message: string): string => {
      problem(`transforms[${index}]: ${message}`);
      return '';
    };
    const ifPresent = (code: string): string => `    if (v !== undefined && v !== null) { ${code} }`;
    const stringMethod = (what: string, call: string): string => ifPresent(`if (typeof v !== 'string') notString(v, '${what}'); v = v.${call}();`);
    const options = (typeof spec === 'string' ? { type: spec } : spec) as Record<string, unknown> | null;
    if (options === null || typeof options !== 'object' || typeof options.type !== 'string') {
      return fail(`expected a transform name or {type, ...}, got ${values.describe(spec)}`);
    }
    switch (options.type) {
      case 'string':
        return ifPresent('v = toText(v);');
      case 'trim':
        return stringMethod('trim', 'trim');
      case 'lower':
        return stringMethod('lower', 'toLowerCase');
      case 'upper':
        return stringMethod('upper', 'toUpperCase');
      case 'number':
        return ifPresent('v = toNumber(v);');
      case 'integer':
        return ifPresent('v = toInteger(v);');
      case 'boolean':
        return ifPresent('v = toBoolean(v);');
      case 'date':
      case 'odooDate':
        return ifPresent('v = toIsoDate(v);');
      case 'datetime':
        return ifPresent('v = toIsoDatetime(v);');
      case 'odooDatetime':
        return ifPresent('v = toOdooDatetime(v);');
      case 'currency': {
        const { currency, decimals, decimalSeparator } = options;
        if (currency !== undefined && (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency))) {
          return fail(`currency: expected an ISO 4217 code like 'EUR', got ${values.describe(currency)}`);
        }
        if (decimals !== undefined && !(Number.isInteger(decimals) && (decimals as number) >= 0 && (decimals as number) <= 6)) {
          return fail(`decimals: expected an integer 0..6, got ${values.describe(decimals)}`);
        }
        if (decimalSeparator !== undefined && decimalSeparator !== '.' && decimalSeparator !== ',') {
          return fail(`decimalSeparator: expected '.' or ',', got ${values.describe(decimalSeparator)}`);
        }
        const places = (decimals as number | undefined) ?? (typeof currency === 'string' ? values.currencyDecimals(currency) : 2);
        const separator = decimalSeparator === undefined ? 'undefined' : JSON.stringify(decimalSeparator);
        return ifPresent(`v = parseAmount(v, ${separator}); if (v !== undefined) v = roundTo(v, ${places});`);
      }
      case 'lookup': {
        const table = options.table;
        if (table === null || typeof table !== 'object' || Array.isArray(table)) {
          return fail(`lookup: 'table' must be an object of key -> value, got ${values.describe(table)}`);
        }
        const entries = this.constant(new Map<string, unknown>(Object.entries(table)));
        const fallback = Object.prototype.hasOwnProperty.call(options, 'default') ? this.constant(options.default) : `noLookupEntry(v, ${entries})`;
        return `    t = v === undefined || v === null ? '' : String(v); v = ${entries}.has(t) ? ${entries}.get(t) : ${fallback};`;
      }
      case 'default': {
        if (!Object.prototype.hasOwnProperty.call(options, 'value')) return fail("default: 'value' is required");
        return `    if (v === undefined || v === null || v === '') v = ${this.constant(options.value)};`;
      }
      case 'concat': {
        const sources = options.sources;
        if (!Array.isArray(sources) || sources.length === 0) return fail(`concat: 'sources' must be a non-empty array of sources`);
        const separator = options.separator ?? ' ';
        if (typeof separator !== 'string') return fail(`concat: 'separator' must be a string`);
        const reads = sources.map((s, i) => this.source(s, (m) => problem(`transforms[${index}].${m}`), `sources[${i}]`, 'c'));
        if (reads.some((r) => r === undefined)) return '';
        return ['    t = [v];', ...reads.map((read) => `${read as string}\n    t.push(c);`), `    v = joinParts(t, ${JSON.stringify(separator)});`].join('\n');
      }
      case 'split': {
        const separator = options.separator;
        if (typeof separator !== 'string' || separator === '') return fail(`split: 'separator' must be a non-empty string`);
        return ifPresent(`if (!Array.isArray(v)) { if (typeof v !== 'string') notString(v, 'split'); v = splitParts(v, ${JSON.stringify(separator)}); }`);
      }
      case 'map': {
        const each = this.ruleList(options.rules, `${where}.rules`);
        const name = `map${this.functions.length}`;
        this.functions.push(
          [
            `${this.fn} ${name}(items, root, errors, at) {`,
            '  const outputs = [];',
            `  for (let i = 0; i < items.length; i++) outputs.push(${this.wait}${each}(items[i], root, errors, at, i));`,
            '  return outputs;',
            '}',
          ].join('\n'),
        );
        return ifPresent(`if (!Array.isArray(v)) notArray(v); v = ${this.wait}${name}(v, root, errors, fieldPath(at, index, ${JSON.stringify(targetPath)}));`);
      }
      default:
        return fail(`unknown transform '${options.type}'`);
    }
  }
}

function checkKeys(segments: PathSegment[]): void {
  for (const s of segments) if (typeof s === 'string' && FORBIDDEN_KEYS.has(s)) throw new Error(`'${s}' is not allowed in a path`);
}

/** Statements writing `v` at `segments` under `out`, creating objects (arrays before an index) on the way. */
function store(segments: PathSegment[]): string {
  const last = segments.length - 1;
  const parts: string[] = [' t = out;'];
  for (let i = 0; i < last; i++) {
    const empty = typeof segments[i + 1] === 'number' ? '[]' : '{}';
    parts.push(` n = t[${key(segments[i])}]; if (n === null || typeof n !== 'object') { n = ${empty}; t[${key(segments[i])}] = n; } t = n;`);
  }
  parts.push(` t[${key(segments[last])}] = v;`);
  return parts.join('');
}
