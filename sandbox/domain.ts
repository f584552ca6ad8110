import { pyRepr, typeError, valueError } from './errors';
import type { Orm } from './orm';
import type { FieldDef, Row } from './types';

export type Predicate = (row: Row) => boolean;

export interface CompiledDomain {
  predicate: Predicate;
  /** A leaf names `active`: Odoo then skips its implicit `active = True` filter. */
  mentionsActive: boolean;
}

const OPERATORS = new Set([
  '=', '!=', '<=', '<', '>', '>=', '=?', '=like', '=ilike', 'like', 'not like', 'ilike', 'not ilike',
  'in', 'not in', 'child_of', 'parent_of', 'any', 'not any',
]);
const NEGATIVE = new Set(['!=', 'not like', 'not ilike', 'not in', 'not any']);
const LIKE = new Set(['like', 'not like', 'ilike', 'not ilike', '=like', '=ilike']);

type Node = { op: '&' | '|'; left: Node; right: Node } | { op: '!'; child: Node } | { op: 'leaf'; leaf: unknown[] };

const isNull = (v: unknown): boolean => v === false || v === null || v === undefined;

function condition(leaf: unknown[]): string {
  return `(${leaf.map(pyRepr).join(', ')})`;
}

/** Odoo's normalize_domain: implicit '&' between terms, prefix operators, then a tree. */
function parse(domain: unknown): Node | null {
  if (domain === null || domain === undefined || domain === false) return null;
  if (!Array.isArray(domain)) throw typeError(`Domain() invalid argument type for domain: ${pyRepr(domain)}`);
  if (domain.length === 0) return null;
  const tokens: unknown[] = [];
  let expected = 1;
  for (const token of domain) {
    if (expected === 0) {
      tokens.unshift('&');
      expected = 1;
    }
    if (Array.isArray(token)) {
      if (token.length !== 3) throw valueError(`Invalid leaf ${pyRepr(token)}`);
      expected -= 1;
    } else if (token === '&' || token === '|') {
      expected += 1;
    } else if (token !== '!') {
      throw typeError(`Domain() invalid item in domain: ${pyRepr(token)}`);
    }
    tokens.push(token);
  }
  if (expected !== 0) throw valueError(`Domain ${pyRepr(domain)} is syntactically not correct.`);
  let position = 0;
  const next = (): Node => {
    const token = tokens[position];
    position += 1;
    if (token === '&' || token === '|') {
      const left = next();
      return { op: token, left, right: next() };
    }
    if (token === '!') return { op: '!', child: next() };
    return { op: 'leaf', leaf: token as unknown[] };
  };
  return next();
}

function likeRegex(pattern: string, insensitive: boolean, wrap: boolean): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(wrap ? `^.*${body}.*$` : `^${body}$`, insensitive ? 'is' : 's');
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** Matches one raw scalar value (null-ish when unset) against `op value`, with Odoo's NULL rules. */
function scalarMatcher(field: FieldDef, op: string, value: unknown): (v: unknown) => boolean {
  if (field.type === 'boolean') {
    if (op === 'in' || op === 'not in') {
      const wanted = new Set(asList(value).map((x) => Boolean(x)));
      return op === 'in' ? (v) => wanted.has(Boolean(v)) : (v) => !wanted.has(Boolean(v));
    }
    if (op === '=') return (v) => Boolean(v) === Boolean(value);
    if (op === '!=') return (v) => Boolean(v) !== Boolean(value);
  }
  const textual = field.type === 'char' || field.type === 'text' || field.type === 'html';
  const unset = (v: unknown): boolean => isNull(v) || (textual && v === '');
  switch (op) {
    case '=':
      return isNull(value) ? unset : (v) => v === value;
    case '!=':
      return isNull(value) ? (v) => !unset(v) : (v) => isNull(v) || v !== value;
    case '<':
    case '>':
    case '<=':
    case '>=': {
      if (isNull(value)) return () => false;
      const bound = value as number | string;
      const compare = {
        '<': (v: number | string) => v < bound,
        '>': (v: number | string) => v > bound,
        '<=': (v: number | string) => v <= bound,
        '>=': (v: number | string) => v >= bound,
      }[op];
      return (v) => !isNull(v) && compare(v as number | string);
    }
    case 'in':
    case 'not in': {
      const list = asList(value);
      const withNull = list.some(isNull);
      const wanted = new Set(list.filter((x) => !isNull(x)));
      return op === 'in'
        ? (v) => (isNull(v) ? withNull : wanted.has(v))
        : (v) => (isNull(v) ? !withNull : !wanted.has(v));
    }
    default: {
      const regex = likeRegex(isNull(value) ? '' : String(value), op.includes('ilike'), !op.startsWith('='));
      if (op.startsWith('not ')) return (v) => isNull(v) || !regex.test(String(v));
      return (v) => !isNull(v) && regex.test(String(v));
    }
  }
}

export function compileDomain(orm: Orm, model: string, domain: unknown): CompiledDomain {
  const state = { mentionsActive: false };
  const tree = parse(domain);
  const build = (node: Node): Predicate => {
    if (node.op === 'leaf') return compileLeaf(orm, model, node.leaf, state);
    if (node.op === '!') {
      const child = build(node.child);
      return (row) => !child(row);
    }
    const left = build(node.left);
    const right = build(node.right);
    return node.op === '&' ? (row) => left(row) && right(row) : (row) => left(row) || right(row);
  };
  return { predicate: tree ? build(tree) : () => true, mentionsActive: state.mentionsActive };
}

function compileLeaf(orm: Orm, model: string, leaf: unknown[], state: { mentionsActive: boolean }): Predicate {
  const [path, rawOp, value] = leaf;
  if ((path === 1 || path === 0) && rawOp === '=' && value === 1) {
    return path === 1 ? () => true : () => false;
  }
  const op = typeof rawOp === 'string' ? rawOp.toLowerCase() : rawOp;
  if (typeof op !== 'string' || !OPERATORS.has(op)) throw valueError(`Invalid operator in condition ${condition(leaf)}`);
  if (typeof path !== 'string') throw valueError(`Invalid field ${model}.${String(path)} in condition ${condition(leaf)}`);
  const [name, ...rest] = path.split('.');
  if (name === 'active') state.mentionsActive = true;
  const def = orm.model(model);
  const field = def.fields[name];
  if (!field) throw valueError(`Invalid field ${model}.${name} in condition ${condition(leaf)}`);
  const get = orm.getter(model, name);
  const relational = field.type === 'many2one' || field.type === 'one2many' || field.type === 'many2many';

  if (rest.length > 0 || op === 'any' || op === 'not any') {
    if (!relational || !field.relation) {
      throw valueError(`Invalid field ${model}.${name} in condition ${condition(leaf)}`);
    }
    const comodel = field.relation;
    const sub =
      rest.length > 0
        ? compileLeaf(orm, comodel, [rest.join('.'), op, value], { mentionsActive: false })
        : compileDomain(orm, comodel, value).predicate;
    const table = orm.table(comodel);
    const anyMatch = (row: Row): boolean =>
      idsOf(get(row)).some((id) => {
        const target = table.rows.get(id);
        return target !== undefined && sub(target);
      });
    return op === 'not any' ? (row) => !anyMatch(row) : anyMatch;
  }

  if (op === 'child_of' || op === 'parent_of') {
    const target = name === 'id' ? model : field.relation;
    if (!target) throw valueError(`Invalid operator in condition ${condition(leaf)}`);
    const roots = asList(value).filter((x): x is number => typeof x === 'number');
    const family = op === 'child_of' ? orm.descendants(target, roots) : orm.ancestors(target, roots);
    return (row) => idsOf(name === 'id' ? row.id : get(row)).some((id) => family.has(id));
  }

  if (op === '=?') {
    if (isNull(value)) return () => true;
    return compileLeaf(orm, model, [path, '=', value], state);
  }

  if (relational) return relationalLeaf(orm, field, get, op, value);
  const match = scalarMatcher(field, op, value);
  return (row) => match(get(row));
}

function idsOf(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  return Array.isArray(value) ? (value as number[]) : [];
}

/** many2one and x2many leaves: ids compare as ids, strings compare against the related display names. */
function relationalLeaf(orm: Orm, field: FieldDef, get: (row: Row) => unknown, op: string, value: unknown): Predicate {
  const comodel = field.relation as string;
  const byName = typeof value === 'string' || (Array.isArray(value) && value.some((x) => typeof x === 'string'));
  const negative = NEGATIVE.has(op);
  if (byName || LIKE.has(op)) {
    const positiveOp = negative ? op.replace(/^not /, '').replace('!=', '=') : op;
    const match = scalarMatcher({ type: 'char', string: '' }, positiveOp, value);
    const anyName = (row: Row): boolean => idsOf(get(row)).some((id) => match(orm.displayName(comodel, id)));
    return negative ? (row) => !anyName(row) : anyName;
  }
  if (field.type === 'many2one') {
    const match = scalarMatcher({ type: 'integer', string: '' }, op, value);
    return (row) => match(get(row));
  }
  // x2many: '=' False means empty, 'in' means any shared id, negative operators mean none shared.
  if (isNull(value) && (op === '=' || op === '!=')) {
    return op === '=' ? (row) => idsOf(get(row)).length === 0 : (row) => idsOf(get(row)).length > 0;
  }
  const wanted = new Set(asList(value).filter((x) => !isNull(x)));
  const withNull = asList(value).some(isNull);
  if (op === '=' || op === 'in' || op === '!=' || op === 'not in') {
    const anyShared = (row: Row): boolean => {
      const ids = idsOf(get(row));
      return (withNull && ids.length === 0) || ids.some((id) => wanted.has(id));
    };
    return negative ? (row) => !anyShared(row) : anyShared;
  }
  const match = scalarMatcher({ type: 'integer', string: '' }, op, value);
  return (row) => idsOf(get(row)).some((id) => match(id));
}
