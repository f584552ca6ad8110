import { strict as assert } from 'node:assert';
import { DEFAULT_MAX_JSON_DEPTH, JsonDepthError, jsonTextTooDeep, valueTooDeep } from '../../../nodes/lib/http/json-depth';

const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/** Built in a loop, so the test itself never recurses. */
function nestedValue(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

describe('JSON depth', () => {
  it('defaults to 100 levels', () => {
    assert.equal(DEFAULT_MAX_JSON_DEPTH, 100);
  });

  it('text: the limit itself passes, one level more is refused', () => {
    assert.equal(jsonTextTooDeep(nested(100), 100), false);
    assert.equal(jsonTextTooDeep(nested(101), 100), true);
    assert.equal(jsonTextTooDeep('{"a":{"b":[1,{"c":2}]}}', 4), false);
    assert.equal(jsonTextTooDeep('{"a":{"b":[1,{"c":2}]}}', 3), true);
  });

  it('text: siblings do not add up, scalars have no depth', () => {
    assert.equal(jsonTextTooDeep('[[1],[2],[3],{"a":4}]', 2), false);
    assert.equal(jsonTextTooDeep('"just a string"', 1), false);
    assert.equal(jsonTextTooDeep('42', 1), false);
  });

  it('text: brackets inside strings, escaped quotes included, do not count', () => {
    const sneaky = JSON.stringify({ note: `${'['.repeat(500)} \\" ${'{'.repeat(500)}`, quote: 'say "[[[["' });
    assert.equal(jsonTextTooDeep(sneaky, 1), false);
    assert.equal(jsonTextTooDeep(`["\\\\", ${nested(3)}]`, 3), true);
  });

  it('bytes give the same answer as text, multi-byte characters included', () => {
    const text = JSON.stringify({ name: 'Zoë ☕ 日本', tags: [['é']] });
    assert.equal(jsonTextTooDeep(Buffer.from(text), 3), false);
    assert.equal(jsonTextTooDeep(Buffer.from(text), 2), true);
    assert.equal(jsonTextTooDeep(Buffer.from(nested(2000)), 100), true);
  });

  it('text a million levels deep is measured without overflowing the stack', () => {
    assert.equal(jsonTextTooDeep(nested(1_000_000), 100), true);
  });

  it('values: the limit itself passes, one level more is refused', () => {
    assert.equal(valueTooDeep(nestedValue(100), 100), false);
    assert.equal(valueTooDeep(nestedValue(101), 100), true);
    assert.equal(valueTooDeep({ a: [1, 2], b: { c: null } }, 2), false);
    assert.equal(valueTooDeep('text', 1), false);
    assert.equal(valueTooDeep(null, 1), false);
  });

  it('values: a buffer is data, not nesting', () => {
    assert.equal(valueTooDeep({ file: Buffer.alloc(64) }, 1), false);
  });

  it('values a million levels deep are measured without overflowing the stack', () => {
    assert.equal(valueTooDeep(nestedValue(1_000_000), 100), true);
  });

  it('the error says what was refused and carries a stable code', () => {
    const err = new JsonDepthError(100);
    assert.equal(err.code, 'MW_JSON_TOO_DEEP');
    assert.equal(err.status, 400);
    assert.equal(err.retryable, false);
    assert.match(err.message, /nested deeper than 100 levels/);
  });
});
