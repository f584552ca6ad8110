/**
 * Compiles a rule list ONCE into closures: paths pre-split into getters/setters, transforms pre-bound with their
 * options, JSONata parsed once. Running a compiled mapping interprets nothing; it never throws on bad data and
 * collects one `{path, message}` per field that failed.
 */
import jsonata from 'jsonata';
import { MiddlewareError } from '../errors';
import { formatPath, makeGetter, makeSetter, parsePath, type Getter } from './paths';
import type { CompiledMapping, FieldError, MappingResult, MappingRule, Source } from './types';
import {
  FieldFailure,
  currencyDecimals,
  describe,
  expectString,
  parseAmount,
  roundTo,
  toBoolean,
  toIsoDate,
  toIsoDatetime,
  toNumber,
  toOdooDatetime,
} from './values';

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

type MaybePromise<T> = T | Promise<T>;
/** Reads a value for one message: `input` is the current element (the message, or an array item in a map). */
type ValueFn = (input: unknown, root: unknown) => MaybePromise<unknown>;
type TransformFn = (value: unknown, input: unknown, root: unknown, errors: FieldError[], path: string) => MaybePromise<unknown>;
type RuleFn = (input: unknown, root: unknown, out: Record<string, unknown>, errors: FieldError[]) => void | Promise<void>;
type RunFn = (input: unknown, root: unknown) => MaybePromise<MappingResult>;

const isThenable = (v: unknown): v is Promise<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

/** JSONata throws plain objects `{code, position, message}`, not Errors. */
const errorMessage = (err: unknown): string =>
  err !== null && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string' ? (err as { message: string }).message : String(err);

export function compileMapping(rules: MappingRule[], options: CompileOptions = {}): CompiledMapping {
  const problems: CompileProblem[] = [];
  const compiler = new Compiler(options.jsonata ?? ((expr: string) => jsonata(expr)), problems);
  const run = compiler.rules(rules, 'rules');
  if (problems.length > 0) throw new MappingCompileError(problems);
  const mapping = ((input: unknown) => run(input, input)) as CompiledMapping;
  Object.defineProperty(mapping, 'async', { value: compiler.usesJsonata, enumerable: true });
  return mapping;
}

/** Runs a compiled mapping and always returns a promise. */
export async function runMapping(mapping: CompiledMapping, input: unknown): Promise<MappingResult> {
  return mapping(input);
}

class Compiler {
  usesJsonata = false;
  constructor(
    private readonly jsonataFactory: (expr: string) => JsonataExpression,
    private readonly problems: CompileProblem[],
  ) {}

  rules(rules: unknown, where: string): RunFn {
    if (!Array.isArray(rules)) {
      this.problems.push({ rule: where, message: `expected an array of rules, got ${describe(rules)}` });
      return () => ({ output: {}, errors: [] });
    }
    const compiled: RuleFn[] = [];
    rules.forEach((rule: unknown, i) => {
      const fn = this.rule(rule, `${where}[${i}]`);
      if (fn) compiled.push(fn);
    });
    const n = compiled.length;
    return (input, root) => {
      const out: Record<string, unknown> = {};
      const errors: FieldError[] = [];
      let pending: Array<void | Promise<void>> | undefined;
      for (let i = 0; i < n; i++) {
        const r = compiled[i](input, root, out, errors);
        if (r !== undefined) (pending ??= []).push(r);
      }
      if (pending === undefined) return { output: out, errors };
      return Promise.all(pending).then(() => ({ output: out, errors }));
    };
  }

  private rule(rule: unknown, where: string): RuleFn | undefined {
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      this.problems.push({ rule: where, message: `expected a rule object {target, source, transforms?}, got ${describe(rule)}` });
      return undefined;
    }
    const { target, source, transforms } = rule as Partial<MappingRule>;
    const before = this.problems.length;
    const problem = (message: string): void => {
      this.problems.push({ rule: where, target: typeof target === 'string' ? target : undefined, message });
    };
    let set: ReturnType<typeof makeSetter> | undefined;
    let targetPath = '';
    try {
      const segments = parsePath(target as string);
      set = makeSetter(segments);
      targetPath = formatPath(segments);
    } catch (err) {
      problem(`target: ${errorMessage(err)}`);
    }
    const read = this.source(source, problem, 'source');
    let pipeline: TransformFn[] = [];
    if (transforms !== undefined) {
      if (!Array.isArray(transforms)) problem(`transforms: expected an array, got ${describe(transforms)}`);
      else pipeline = transforms.map((t, i) => this.transform(t, `${where}.transforms[${i}]`, problem, i));
    }
    if (this.problems.length > before || !set || !read) return undefined;
    const setValue = set;
    const fns = pipeline;
    const count = fns.length;
    const apply = (value: unknown, from: number, input: unknown, root: unknown, errors: FieldError[], path: string): MaybePromise<unknown> => {
      let v = value;
      for (let i = from; i < count; i++) {
        if (isThenable(v)) return v.then((resolved) => apply(resolved, i, input, root, errors, path));
        v = fns[i](v, input, root, errors, path);
      }
      return v;
    };
    const path = targetPath;
    return (input, root, out, errors) => {
      let value: MaybePromise<unknown>;
      try {
        value = apply(read(input, root), 0, input, root, errors, path);
      } catch (err) {
        errors.push({ path, message: errorMessage(err) });
        return undefined;
      }
      if (isThenable(value)) {
        return value.then(
          (v) => {
            if (v !== undefined && v !== null) setValue(out, v);
          },
          (err: unknown) => {
            errors.push({ path, message: errorMessage(err) });
          },
        );
      }
      // Absent and null both mean "no value": the field is left out (use the `default` transform to fill it).
      if (value !== undefined && value !== null) setValue(out, value);
      return undefined;
    };
  }

  private source(source: unknown, problem: (m: string) => void, label: string): ValueFn | undefined {
    if (source === null || typeof source !== 'object') {
      problem(`${label}: expected {kind: 'path'|'const'|'jsonata', ...}, got ${describe(source)}`);
      return undefined;
    }
    const s = source as Source;
    switch (s.kind) {
      case 'path': {
        const fromRoot = typeof s.path === 'string' && /^\$root(\.|\[|$)/.test(s.path.trim());
        const rest = fromRoot ? s.path.trim().replace(/^\$root\.?/, '') : s.path;
        if (fromRoot && rest === '') return (_input, root) => root;
        let get: Getter;
        try {
          get = makeGetter(parsePath(rest));
        } catch (err) {
          problem(`${label}.path: ${errorMessage(err)}`);
          return undefined;
        }
        return fromRoot ? (_input, root) => get(root) : (input) => get(input);
      }
      case 'const': {
        const value = s.value;
        return () => value;
      }
      case 'jsonata': {
        if (typeof s.expr !== 'string' || s.expr.trim() === '') {
          problem(`${label}.expr: expected a JSONata expression`);
          return undefined;
        }
        let expression: JsonataExpression;
        try {
          expression = this.jsonataFactory(s.expr);
        } catch (err) {
          const position = (err as { position?: number }).position;
          problem(`${label}.expr: JSONata syntax error${position !== undefined ? ` at position ${position}` : ''}: ${errorMessage(err)}`);
          return undefined;
        }
        this.usesJsonata = true;
        return (input, root) => expression.evaluate(input, { root });
      }
      default:
        problem(`${label}.kind: expected 'path', 'const' or 'jsonata', got ${describe((s as { kind?: unknown }).kind)}`);
        return undefined;
    }
  }

  private transform(spec: unknown, where: string, problem: (m: string) => void, index: number): TransformFn {
    const fail = (message: string): TransformFn => {
      problem(`transforms[${index}]: ${message}`);
      return (v) => v;
    };
    const options = (typeof spec === 'string' ? { type: spec } : spec) as Record<string, unknown> | null;
    if (options === null || typeof options !== 'object' || typeof options.type !== 'string') {
      return fail(`expected a transform name or {type, ...}, got ${describe(spec)}`);
    }
    const type = options.type;
    switch (type) {
      case 'string':
        return skipEmpty((v) => {
          if (typeof v === 'string') return v;
          if (typeof v === 'number' || typeof v === 'boolean') return String(v);
          throw new FieldFailure(`string expects a text, number or boolean, got ${describe(v)}`);
        });
      case 'trim':
        return skipEmpty((v) => expectString(v, 'trim').trim());
      case 'lower':
        return skipEmpty((v) => expectString(v, 'lower').toLowerCase());
      case 'upper':
        return skipEmpty((v) => expectString(v, 'upper').toUpperCase());
      case 'number':
        return skipEmpty(toNumber);
      case 'integer':
        return skipEmpty((v) => {
          const n = toNumber(v);
          if (n !== undefined && !Number.isInteger(n)) throw new FieldFailure(`expected an integer, got ${describe(v)}`);
          return n;
        });
      case 'boolean':
        return skipEmpty(toBoolean);
      case 'date':
      case 'odooDate':
        return skipEmpty(toIsoDate);
      case 'datetime':
        return skipEmpty(toIsoDatetime);
      case 'odooDatetime':
        return skipEmpty(toOdooDatetime);
      case 'currency': {
        const { currency, decimals, decimalSeparator } = options;
        if (currency !== undefined && (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency))) {
          return fail(`currency: expected an ISO 4217 code like 'EUR', got ${describe(currency)}`);
        }
        if (decimals !== undefined && !(Number.isInteger(decimals) && (decimals as number) >= 0 && (decimals as number) <= 6)) {
          return fail(`decimals: expected an integer 0..6, got ${describe(decimals)}`);
        }
        if (decimalSeparator !== undefined && decimalSeparator !== '.' && decimalSeparator !== ',') {
          return fail(`decimalSeparator: expected '.' or ',', got ${describe(decimalSeparator)}`);
        }
        const places = (decimals as number | undefined) ?? (typeof currency === 'string' ? currencyDecimals(currency) : 2);
        const sep = decimalSeparator as '.' | ',' | undefined;
        return skipEmpty((v) => {
          const n = parseAmount(v, sep);
          return n === undefined ? undefined : roundTo(n, places);
        });
      }
      case 'lookup': {
        const table = options.table;
        if (table === null || typeof table !== 'object' || Array.isArray(table)) {
          return fail(`lookup: 'table' must be an object of key -> value, got ${describe(table)}`);
        }
        const entries = new Map<string, unknown>(Object.entries(table));
        const hasDefault = Object.prototype.hasOwnProperty.call(options, 'default');
        const fallback = options.default;
        return (v) => {
          const key = v === undefined || v === null ? '' : String(v);
          if (entries.has(key)) return entries.get(key);
          if (hasDefault) return fallback;
          throw new FieldFailure(`no lookup entry for ${describe(v)} (known: ${[...entries.keys()].slice(0, 10).join(', ')})`);
        };
      }
      case 'default': {
        if (!Object.prototype.hasOwnProperty.call(options, 'value')) return fail("default: 'value' is required");
        const fallback = options.value;
        return (v) => (v === undefined || v === null || v === '' ? fallback : v);
      }
      case 'concat': {
        const sources = options.sources;
        if (!Array.isArray(sources) || sources.length === 0) return fail(`concat: 'sources' must be a non-empty array of sources`);
        const separator = options.separator ?? ' ';
        if (typeof separator !== 'string') return fail(`concat: 'separator' must be a string`);
        const reads = sources.map((s, i) => this.source(s, (m) => problem(`transforms[${index}].${m}`), `sources[${i}]`));
        if (reads.some((r) => r === undefined)) return (v) => v;
        const readers = reads as ValueFn[];
        const join = (parts: unknown[]): string | undefined => {
          const kept = parts.filter((p) => p !== undefined && p !== null && p !== '').map((p) => (typeof p === 'object' ? JSON.stringify(p) : String(p)));
          return kept.length === 0 ? undefined : kept.join(separator);
        };
        return (v, input, root) => {
          const parts = [v, ...readers.map((r) => r(input, root))];
          return parts.some(isThenable) ? Promise.all(parts).then(join) : join(parts);
        };
      }
      case 'split': {
        const separator = options.separator;
        if (typeof separator !== 'string' || separator === '') return fail(`split: 'separator' must be a non-empty string`);
        return skipEmpty((v) => {
          if (Array.isArray(v)) return v;
          return expectString(v, 'split')
            .split(separator)
            .map((part) => part.trim())
            .filter((part) => part !== '');
        });
      }
      case 'map': {
        const run = this.rules(options.rules, `${where}.rules`);
        return (v, _input, root, errors, path) => {
          if (v === undefined || v === null) return v;
          if (!Array.isArray(v)) throw new FieldFailure(`map expects an array, got ${describe(v)}`);
          const n = v.length;
          const results = new Array<MaybePromise<MappingResult>>(n);
          let pending = false;
          for (let i = 0; i < n; i++) {
            const r = run(v[i], root);
            if (isThenable(r)) pending = true;
            results[i] = r;
          }
          const collect = (done: MappingResult[]): Record<string, unknown>[] => {
            const outputs = new Array<Record<string, unknown>>(n);
            for (let i = 0; i < n; i++) {
              const r = done[i];
              for (const e of r.errors) errors.push({ path: `${path}[${i}].${e.path}`, message: e.message });
              outputs[i] = r.output;
            }
            return outputs;
          };
          return pending ? Promise.all(results).then(collect) : collect(results as MappingResult[]);
        };
      }
      default:
        return fail(`unknown transform '${type}'`);
    }
  }
}

/** Missing values (undefined/null) flow through conversions untouched; `default` is how to fill them. */
function skipEmpty(fn: (v: unknown) => unknown): TransformFn {
  return (v) => (v === undefined || v === null ? v : fn(v));
}
