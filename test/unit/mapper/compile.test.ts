import { strict as assert } from 'node:assert';
import jsonata from 'jsonata';
import { compileMapping, MappingCompileError, runMapping, type JsonataExpression } from '../../../nodes/lib/mapper/compile';
import type { MappingResult, MappingRule, TransformSpec } from '../../../nodes/lib/mapper/types';

const path = (p: string) => ({ kind: 'path' as const, path: p });

function mapSync(rules: MappingRule[], input: unknown): MappingResult {
  const mapping = compileMapping(rules);
  assert.equal(mapping.async, false, 'expected a synchronous mapping');
  return mapping(input) as MappingResult;
}

function value(transforms: TransformSpec[], input: unknown): MappingResult {
  return mapSync([{ target: 'out', source: path('v'), transforms }], { v: input });
}

const out = (transforms: TransformSpec[], input: unknown): unknown => {
  const r = value(transforms, input);
  assert.deepEqual(r.errors, [], `unexpected errors for ${JSON.stringify(input)}`);
  return r.output.out;
};

const failure = (transforms: TransformSpec[], input: unknown): string => {
  const r = value(transforms, input);
  assert.equal(r.errors.length, 1, `expected one error for ${JSON.stringify(input)}`);
  assert.equal(r.errors[0].path, 'out');
  assert.equal(r.output.out, undefined, 'a failed field is not written');
  return r.errors[0].message;
};

describe('mapper: compileMapping sources', () => {
  it('path: reads nested paths with array indices and writes nested targets, creating arrays where indexed', () => {
    const r = mapSync(
      [
        { target: 'customer.email', source: path('buyer.contact.email') },
        { target: 'lines[1].sku', source: path('items[0].code') },
        { target: 'missing', source: path('nope.deeper') },
      ],
      { buyer: { contact: { email: 'a@b.c' } }, items: [{ code: 'X1' }] },
    );
    assert.deepEqual(r.errors, []);
    assert.equal((r.output.customer as { email: string }).email, 'a@b.c');
    assert.ok(Array.isArray(r.output.lines));
    assert.deepEqual((r.output.lines as unknown[])[1], { sku: 'X1' });
    assert.equal('missing' in r.output, false, 'absent values are left out');
  });

  it('path: targets sharing a prefix write into one nested object, and a mapped path reads back what was written', () => {
    const written = mapSync([{ target: 'a.b[1].c', source: path('x') }, { target: 'a.b[1].d', source: path('y') }], { x: 5, y: 6 });
    assert.ok(Array.isArray((written.output.a as { b: unknown }).b));
    assert.deepEqual((written.output.a as { b: unknown[] }).b[1], { c: 5, d: 6 });
    assert.equal(mapSync([{ target: 'v', source: path('a.b[1].c') }], written.output).output.v, 5);
  });

  it('path: a path through a non-object gives undefined, not a crash', () => {
    const r = mapSync([{ target: 'x', source: path('a.b.c') }], { a: 'text' });
    assert.deepEqual(r, { output: {}, errors: [] });
  });

  it('const: writes the constant, objects included', () => {
    const r = mapSync([{ target: 'a', source: { kind: 'const', value: 'shop' } }, { target: 'b.c', source: { kind: 'const', value: { x: [1] } } }], {});
    assert.deepEqual(r.output, { a: 'shop', b: { c: { x: [1] } } });
  });

  it('jsonata: evaluates against the input, with $root bound, and makes the mapping async', async () => {
    const mapping = compileMapping([
      { target: 'total', source: { kind: 'jsonata', expr: '$sum(items.(qty * price))' } },
      { target: 'lines', source: path('items'), transforms: [{ type: 'map', rules: [{ target: 'cur', source: { kind: 'jsonata', expr: '$root.currency' } }] }] },
    ]);
    assert.equal(mapping.async, true);
    const r = await runMapping(mapping, { currency: 'EUR', items: [{ qty: 2, price: 5 }, { qty: 1, price: 3 }] });
    assert.deepEqual(r.errors, []);
    assert.equal(r.output.total, 13);
    assert.deepEqual(r.output.lines, [{ cur: 'EUR' }, { cur: 'EUR' }]);
  });

  it('jsonata: a runtime error becomes a field error, other fields still map', async () => {
    const mapping = compileMapping([
      { target: 'bad', source: { kind: 'jsonata', expr: '$number("abc") + $undefinedFn()' } },
      { target: 'good', source: path('a') },
    ]);
    const r = await mapping({ a: 1 });
    assert.equal(r.output.good, 1);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].path, 'bad');
  });

  it('jsonata: each expression is compiled once at compile time and reused for every message', async () => {
    let compilations = 0;
    const counting = (expr: string): JsonataExpression => {
      compilations++;
      return jsonata(expr);
    };
    const mapping = compileMapping(
      [
        { target: 'a', source: { kind: 'jsonata', expr: 'x + 1' } },
        { target: 'lines', source: path('items'), transforms: [{ type: 'map', rules: [{ target: 'b', source: { kind: 'jsonata', expr: 'v * 2' } }] }] },
        { target: 'c', source: path('x'), transforms: [{ type: 'concat', sources: [{ kind: 'jsonata', expr: '"!"' }], separator: '' }] },
      ],
      { jsonata: counting },
    );
    assert.equal(compilations, 3);
    for (let i = 0; i < 50; i++) {
      const r = await mapping({ x: i, items: [{ v: 1 }, { v: 2 }] });
      assert.equal(r.output.a, i + 1);
      assert.deepEqual(r.output.lines, [{ b: 2 }, { b: 4 }]);
      assert.equal(r.output.c, `${i}!`);
    }
    assert.equal(compilations, 3, 'no compilation per message');
  });

  it('$root paths read the whole input from inside a map', () => {
    const r = mapSync(
      [{ target: 'lines', source: path('items'), transforms: [{ type: 'map', rules: [{ target: 'order', source: path('$root.id') }, { target: 'sku', source: path('sku') }] }] }],
      { id: 'SO1', items: [{ sku: 'A' }, { sku: 'B' }] },
    );
    assert.deepEqual(r.output.lines, [{ order: 'SO1', sku: 'A' }, { order: 'SO1', sku: 'B' }]);
  });
});

describe('mapper: generated code', () => {
  it('keys are data, never code: quotes, comment markers and backslashes in paths map literally', () => {
    const odd = `a";throw(1);//*/\\'\`}`;
    const r = mapSync([{ target: `out.${odd}`, source: path(odd) }, { target: 'k', source: { kind: 'const', value: '"); throw 1; ("' } }], { [odd]: 'v' });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.output, { out: { [odd]: 'v' }, k: '"); throw 1; ("' });
  });

  it('rejects __proto__, constructor and prototype in targets and source paths', () => {
    for (const [target, source] of [['__proto__.polluted', 'x'], ['a.constructor', 'x'], ['ok', 'x.__proto__'], ['b.prototype', 'x']]) {
      assert.throws(() => compileMapping([{ target, source: path(source) }]), (err: unknown) => err instanceof MappingCompileError && /is not allowed in a path/.test(err.message));
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('a constant object is copied per message, so editing one output cannot change the next', () => {
    const mapping = compileMapping([{ target: 'tags', source: { kind: 'const', value: { list: ['a'] } } }]);
    const first = mapping({}) as MappingResult;
    (first.output.tags as { list: string[] }).list.push('changed');
    assert.deepEqual((mapping({}) as MappingResult).output.tags, { list: ['a'] });
  });

  it('calendar arithmetic matches Date for instants across years 0 to 9999', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const from = Date.UTC(0, 0, 1) - Date.UTC(1900, 0, 1) + Date.UTC(0, 0, 1); // year 0 (Date.UTC reads 0 as 1900)
    const to = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 5000; i++) {
      const ms = Math.floor(from + random() * (to - from));
      const expected = new Date(ms).toISOString().replace('.000Z', 'Z');
      assert.equal(out(['datetime'], ms), expected, `epoch ${ms}`);
      assert.equal(out(['datetime'], expected), expected, `parsing ${expected}`);
      assert.equal(out(['odooDatetime'], ms), expected.slice(0, 19).replace('T', ' '));
    }
  });

  it('plain amounts parse to exactly what Number() gives', () => {
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    for (let i = 0; i < 5000; i++) {
      const places = [0, 1, 2, 4, 6][random(5)];
      const text = `${random(3) === 0 ? '-' : ''}${random(10 ** random(9))}${places ? `.${String(random(10 ** places)).padStart(places, '0')}` : ''}`;
      // Six decimals and at most 14 digits: the currency rounding leaves these values as they are.
      assert.equal(out([{ type: 'currency', decimals: 6 }], text), Number(text) || 0, text);
    }
    assert.equal(out(['number'], '12345678901234567.5'), 12345678901234567.5, 'more than 15 digits go to Number()');
  });

  it('numeric timestamps: fractions of a millisecond are dropped, out-of-range ones fail', () => {
    assert.equal(out(['datetime'], 1.9), '1970-01-01T00:00:00.001Z');
    assert.match(failure(['datetime'], 8.64e15 + 1), /expected a timestamp in ms/);
    assert.match(failure(['datetime'], Number.NaN), /expected a timestamp in ms/);
  });
});

describe('mapper: transforms one by one', () => {
  it('string', () => {
    assert.equal(out(['string'], 42), '42');
    assert.equal(out(['string'], true), 'true');
    assert.match(failure(['string'], { a: 1 }), /string expects/);
  });

  it('trim / lower / upper', () => {
    assert.equal(out(['trim'], '  a b  '), 'a b');
    assert.equal(out(['lower'], 'MiXeD'), 'mixed');
    assert.equal(out(['upper'], 'eur'), 'EUR');
    assert.match(failure(['trim'], 12), /trim expects a string, got number 12/);
    assert.match(failure(['upper'], ['x']), /upper expects a string/);
  });

  it('number', () => {
    assert.equal(out(['number'], ' 12.5 '), 12.5);
    assert.equal(out(['number'], 3), 3);
    assert.equal(out(['number'], ''), undefined, 'an empty string is no value, not 0');
    assert.match(failure(['number'], 'abc'), /expected a number, got 'abc'/);
    assert.match(failure(['number'], true), /expected a number/);
  });

  it('integer', () => {
    assert.equal(out(['integer'], '7'), 7);
    assert.equal(out(['integer'], 3.0), 3);
    assert.match(failure(['integer'], '2.5'), /expected an integer/);
  });

  it('boolean', () => {
    for (const t of [true, 'true', 'YES', '1', 1, 'on', 'y']) assert.equal(out(['boolean'], t), true, String(t));
    for (const f of [false, 'false', 'no', '0', 0, 'off', '']) assert.equal(out(['boolean'], f), false, String(f));
    assert.match(failure(['boolean'], 'maybe'), /expected a boolean/);
  });

  it('date -> YYYY-MM-DD (the date as written; instants in UTC)', () => {
    assert.equal(out(['date'], '2026-01-15'), '2026-01-15');
    assert.equal(out(['date'], '2026-01-15T23:30:00-05:00'), '2026-01-15');
    assert.equal(out(['date'], '2026-01-15 10:00:00'), '2026-01-15');
    assert.equal(out(['date'], Date.UTC(2026, 1, 3, 23)), '2026-02-03');
    assert.equal(out(['date'], 'Tue, 03 Feb 2026 10:00:00 GMT'), '2026-02-03');
    assert.match(failure(['date'], '2026-02-30'), /valid calendar date/);
    assert.match(failure(['date'], 'soon'), /expected a date-time/);
  });

  it('datetime -> ISO-8601 UTC; strings without offset are UTC (as Odoo stores them)', () => {
    assert.equal(out(['datetime'], '2026-01-15T10:20:30+02:00'), '2026-01-15T08:20:30Z');
    assert.equal(out(['datetime'], '2026-01-15 10:20:30'), '2026-01-15T10:20:30Z');
    assert.equal(out(['datetime'], '2026-01-15T10:20:30'), '2026-01-15T10:20:30Z');
    assert.equal(out(['datetime'], '2026-01-15T10:20:30.250Z'), '2026-01-15T10:20:30.250Z');
    assert.equal(out(['datetime'], '2026-01-15'), '2026-01-15T00:00:00Z');
    assert.equal(out(['datetime'], 0), '1970-01-01T00:00:00Z');
    assert.equal(out(['datetime'], '0099-12-31T23:59:59Z'), '0099-12-31T23:59:59Z', 'two-digit years are not 19xx');
    assert.equal(out(['datetime'], '2024-02-29T12:00:00-01:30'), '2024-02-29T13:30:00Z');
    assert.match(failure(['datetime'], '2026-01-15 25:00:00'), /valid time of day/);
    assert.match(failure(['datetime'], {}), /expected a date-time/);
  });

  it('odooDate / odooDatetime -> Odoo UTC formats', () => {
    assert.equal(out(['odooDate'], '2026-03-01T00:30:00+01:00'), '2026-03-01');
    assert.equal(out(['odooDatetime'], '2026-03-01T00:30:00+01:00'), '2026-02-28 23:30:00');
    assert.equal(out(['odooDatetime'], '2026-03-01T10:00:00.999Z'), '2026-03-01 10:00:00');
    assert.match(failure(['odooDatetime'], 'not a date'), /expected a date-time/);
  });

  it('currency: parses both formats, rounds to the currency decimals', () => {
    const eur: TransformSpec[] = [{ type: 'currency', currency: 'EUR' }];
    assert.equal(out(eur, '1.234,56'), 1234.56);
    assert.equal(out(eur, '1,234.56'), 1234.56);
    assert.equal(out(eur, '€ 1 234,56'), 1234.56);
    assert.equal(out(eur, '-12,5'), -12.5);
    assert.equal(out(eur, '(10.00)'), -10);
    assert.equal(out(eur, '1,234'), 1234, 'one separator followed by three digits is a thousands separator');
    assert.equal(out(eur, '1.005'), 1005);
    assert.equal(out(eur, 1.005), 1.01, 'half away from zero on the decimal value');
    assert.equal(out(eur, 2.675), 2.68);
    assert.equal(out([{ type: 'currency', currency: 'JPY' }], '1,234.6'), 1235);
    assert.equal(out([{ type: 'currency', currency: 'KWD' }], 1.23456), 1.235);
    assert.equal(out([{ type: 'currency', decimalSeparator: '.' }], '1.234'), 1.23, 'explicit separator removes the guess');
    assert.equal(out([{ type: 'currency', decimals: 0 }], '9.6'), 10);
    assert.equal(out(eur, '12.00 EUR'), 12, 'leading/trailing symbols and codes are ignored');
    assert.match(failure(eur, '1a2'), /expected an amount/);
    assert.match(failure(eur, '1,2,3.4.5'), /expected an amount/);
  });

  it('lookup: table with default, and an error without one', () => {
    const table = { processing: 'confirmed', cancelled: 'cancelled' };
    assert.equal(out([{ type: 'lookup', table }], 'processing'), 'confirmed');
    assert.equal(out([{ type: 'lookup', table, default: 'draft' }], 'weird'), 'draft');
    assert.equal(out([{ type: 'lookup', table: { '1': 'one' } }], 1), 'one', 'keys compare as strings');
    assert.match(failure([{ type: 'lookup', table }], 'weird'), /no lookup entry for 'weird'/);
  });

  it('default: fills absent, null and empty values only', () => {
    const d: TransformSpec[] = [{ type: 'default', value: 'n/a' }];
    assert.equal(out(d, undefined), 'n/a');
    assert.equal(out(d, null), 'n/a');
    assert.equal(out(d, ''), 'n/a');
    assert.equal(out(d, 0), 0);
    assert.equal(out(d, 'x'), 'x');
  });

  it('concat: joins the value with other sources, skipping empty parts', () => {
    const rules: MappingRule[] = [
      { target: 'name', source: path('first'), transforms: [{ type: 'concat', sources: [path('last'), { kind: 'const', value: 'Jr' }], separator: ' ' }] },
    ];
    assert.equal(mapSync(rules, { first: 'Ada', last: 'Lovelace' }).output.name, 'Ada Lovelace Jr');
    assert.equal(mapSync(rules, { last: 'Lovelace' }).output.name, 'Lovelace Jr');
    const none = mapSync([{ target: 'n', source: path('a'), transforms: [{ type: 'concat', sources: [path('b')] }] }], {});
    assert.equal('n' in none.output, false);
  });

  it('split: strings into trimmed non-empty parts', () => {
    assert.deepEqual(out([{ type: 'split', separator: ',' }], 'a, b,,c '), ['a', 'b', 'c']);
    assert.deepEqual(out([{ type: 'split', separator: ',' }], ['x']), ['x'], 'arrays pass through');
    assert.match(failure([{ type: 'split', separator: ',' }], 5), /split expects a string/);
  });

  it('map: applies nested rules to each element; nested errors carry the element index', () => {
    const rules: MappingRule[] = [
      {
        target: 'lines',
        source: path('items'),
        transforms: [{ type: 'map', rules: [{ target: 'sku', source: path('code'), transforms: ['trim'] }, { target: 'quantity', source: path('qty'), transforms: ['number'] }] }],
      },
    ];
    const r = mapSync(rules, { items: [{ code: ' A ', qty: '2' }, { code: 'B', qty: 'lots' }] });
    assert.deepEqual(r.output.lines, [{ sku: 'A', quantity: 2 }, { sku: 'B' }]);
    assert.deepEqual(r.errors, [{ path: 'lines[1].quantity', message: "expected a number, got 'lots'" }]);
    assert.match(failure([{ type: 'map', rules: [] }], 'x'), /map expects an array/);
  });

  it('transforms chain in order and stop at the first failure of a field', () => {
    assert.equal(out(['trim', 'upper', { type: 'lookup', table: { EUR: '€' } }], ' eur '), '€');
    const r = mapSync(
      [
        { target: 'a', source: path('x'), transforms: ['number', 'trim'] },
        { target: 'b', source: path('y') },
      ],
      { x: 'nope', y: 1 },
    );
    assert.deepEqual(r, { output: { b: 1 }, errors: [{ path: 'a', message: "expected a number, got 'nope'" }] });
  });

  it('never throws on bad data: non-object input maps to empty output', () => {
    for (const input of [null, undefined, 42, 'text', [1, 2]]) {
      const r = mapSync([{ target: 'a', source: path('b.c') }, { target: 'k', source: { kind: 'const', value: 1 } }], input);
      assert.deepEqual(r.output, { k: 1 });
    }
  });
});

describe('mapper: compile errors name the rule and the reason', () => {
  const problems = (rules: unknown): string[] => {
    try {
      compileMapping(rules as MappingRule[]);
    } catch (err) {
      assert.ok(err instanceof MappingCompileError);
      assert.equal(err.code, 'MW_MAPPING');
      assert.equal(err.cause.kind, 'mapping');
      return err.problems.map((p) => `${p.rule}${p.target ? `(${p.target})` : ''}: ${p.message}`);
    }
    assert.fail('expected a MappingCompileError');
  };

  it('reports every broken rule at once', () => {
    const found = problems([
      { target: 'a..b', source: path('x') },
      { target: 'ok', source: path('x') },
      { target: 'c', source: { kind: 'jsonata', expr: '$sum(' } },
      { target: 'd', source: { kind: 'sql', query: 'x' } },
      { target: 'e', source: path('x'), transforms: ['nope'] },
    ]);
    assert.equal(found.length, 4);
    assert.match(found[0], /^rules\[0\]\(a\.\.b\): target: invalid path 'a\.\.b'/);
    assert.match(found[1], /^rules\[2\]\(c\): source\.expr: JSONata syntax error/);
    assert.match(found[2], /^rules\[3\]\(d\): source\.kind: expected 'path', 'const' or 'jsonata'/);
    assert.match(found[3], /^rules\[4\]\(e\): transforms\[0\]: unknown transform 'nope'/);
  });

  it('checks transform options and nested map rules', () => {
    const found = problems([
      {
        target: 'x',
        source: path('x'),
        transforms: [
          { type: 'lookup' },
          { type: 'currency', currency: 'euro' },
          { type: 'split', separator: '' },
          { type: 'default' },
          { type: 'concat', sources: [] },
          { type: 'map', rules: [{ target: 'y', source: { kind: 'path', path: '' } }] },
        ],
      },
    ]);
    assert.equal(found.length, 6);
    assert.match(found[0], /transforms\[0\]: lookup: 'table' must be an object/);
    assert.match(found[1], /transforms\[1\]: currency: expected an ISO 4217 code/);
    assert.match(found[2], /transforms\[2\]: split: 'separator'/);
    assert.match(found[3], /transforms\[3\]: default: 'value' is required/);
    assert.match(found[4], /transforms\[4\]: concat: 'sources'/);
    assert.match(found[5], /^rules\[0\]\.transforms\[5\]\.rules\[0\]\(y\): source\.path: path must be a non-empty string/);
  });

  it('rejects a rule list that is not an array of rule objects', () => {
    assert.match(problems('nope')[0], /expected an array of rules/);
    assert.match(problems([42])[0], /^rules\[0\]: expected a rule object/);
  });
});
