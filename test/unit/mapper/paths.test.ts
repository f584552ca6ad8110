import { strict as assert } from 'node:assert';
import { formatPath, parsePath } from '../../../nodes/lib/mapper/paths';

describe('mapper: paths', () => {
  it('parses dotted paths with indices', () => {
    assert.deepEqual(parsePath('a.b[0].c'), ['a', 'b', 0, 'c']);
    assert.deepEqual(parsePath('lines[10]'), ['lines', 10]);
    assert.deepEqual(parsePath('[2].x'), [2, 'x']);
    assert.equal(formatPath(['a', 'b', 0, 'c']), 'a.b[0].c');
  });

  it('rejects malformed paths with the position', () => {
    for (const bad of ['a..b', 'a.', '.a', 'a[x]', 'a[1', 'a]b', '']) {
      assert.throws(() => parsePath(bad), /path/, bad);
    }
  });

});
