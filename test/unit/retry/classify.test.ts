import { strict as assert } from 'node:assert';
import { classify, FATAL_KINDS, isRetryableStatus, parseOverrideList, RETRYABLE_NETWORK_CODES } from '../../../nodes/lib/retry/classify';
import { OdooError } from '../../../nodes/lib/odoo/errors';
import { ValidationError } from '../../../nodes/lib/errors';

/** What a Catch node puts in msg.error for a thrown error (Flow.handleError copies message/code/cause). */
function caught(err: Error & { code?: string; cause?: unknown }): Record<string, unknown> {
  return { message: err.toString(), source: { id: 'n1', type: 'odoo-write', count: 1 }, code: err.code, cause: err.cause };
}

describe('retry classification', () => {
  const verdicts: Array<[string, boolean]> = [
    ['validation', false], ['access', false], ['auth', false], ['missing', false], ['not_found', false],
    ['user', false], ['mapping', false], ['lease_lost', false],
    ['concurrency', true], ['rate_limited', true], ['unavailable', true], ['timeout', true], ['network', true],
    ['circuit_open', true], ['protocol', false], ['server', false],
  ];
  for (const [kind, retryable] of verdicts) {
    it(`Odoo kind ${kind} -> ${retryable ? 'retry' : 'dead letter'}`, () => {
      const err = new OdooError({ kind: kind as never, message: 'x' });
      const c = classify({ error: caught(err), unknownRetryable: true });
      assert.equal(c.retryable, retryable);
      assert.equal(c.kind, kind);
      assert.equal(c.code, `ODOO_${kind.toUpperCase()}`);
    });
  }

  it('fatal kinds win even when the error claims retryable', () => {
    for (const kind of FATAL_KINDS) {
      const c = classify({ error: { message: 'x', code: 'X', cause: { kind, retryable: true } }, unknownRetryable: true });
      assert.equal(c.retryable, false, kind);
      assert.equal(c.rule, 'fatal_kind');
    }
  });

  it('our middleware errors: validation is fatal, store_unavailable is retried from its flag', () => {
    assert.equal(classify({ error: caught(new ValidationError('bad')), unknownRetryable: true }).retryable, false);
    const store = classify({ error: { message: 'down', code: 'MW_STORE_UNAVAILABLE', cause: { kind: 'store_unavailable', retryable: true } }, unknownRetryable: false });
    assert.deepEqual([store.retryable, store.rule, store.kind], [true, 'error_flag', 'store_unavailable']);
  });

  it('socket codes of the http request node are retried; ENOTFOUND is not', () => {
    for (const code of RETRYABLE_NETWORK_CODES) {
      const c = classify({ error: { message: 'x', code }, unknownRetryable: false });
      assert.deepEqual([c.retryable, c.kind, c.rule], [true, 'network', 'network_code'], code);
    }
    assert.equal(classify({ error: { message: 'x', code: 'ENOTFOUND' }, unknownRetryable: false }).retryable, false);
  });

  it('HTTP statuses: 408/425/429/5xx retry, other 4xx park', () => {
    for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) {
      assert.equal(isRetryableStatus(status), true, String(status));
      assert.equal(classify({ error: { message: 'x' }, statusCode: status, unknownRetryable: false }).retryable, true, String(status));
    }
    for (const status of [400, 401, 403, 404, 409, 422]) {
      const c = classify({ error: { message: 'x' }, statusCode: status, unknownRetryable: true });
      assert.deepEqual([c.retryable, c.kind, c.status], [false, 'http', status], String(status));
    }
    assert.equal(classify({ error: { message: 'x' }, statusCode: '503', unknownRetryable: false }).retryable, true);
  });

  it('status, Retry-After and outcomeUnknown are read from cause', () => {
    const err = new OdooError({ kind: 'timeout', message: 't', outcomeUnknown: true });
    assert.equal(classify({ error: caught(err), unknownRetryable: false }).outcomeUnknown, true);
    const limited = new OdooError({ kind: 'rate_limited', message: 'slow down', status: 429, retryAfterMs: 7000 });
    const c = classify({ error: caught(limited), unknownRetryable: false });
    assert.deepEqual([c.retryable, c.status, c.retryAfterMs, c.outcomeUnknown], [true, 429, 7000, false]);
  });

  it('unknown errors follow the node setting', () => {
    assert.deepEqual(
      [classify({ error: { message: 'boom' }, unknownRetryable: true }).retryable, classify({ error: { message: 'boom' }, unknownRetryable: false }).retryable],
      [true, false],
    );
    assert.equal(classify({ error: undefined, unknownRetryable: true }).kind, 'unknown');
  });

  it('overrides by code, kind or status; fatal wins over retryable', () => {
    const overrides = { retryable: parseOverrideList('ODOO_USER, 409 enotfound'), fatal: parseOverrideList('timeout;ODOO_USER') };
    const user = classify({ error: { message: 'x', code: 'ODOO_USER', cause: { kind: 'user', retryable: false } }, unknownRetryable: false }, overrides);
    assert.deepEqual([user.retryable, user.rule], [false, 'override_fatal']);
    const conflict = classify({ error: { message: 'x' }, statusCode: 409, unknownRetryable: false }, overrides);
    assert.deepEqual([conflict.retryable, conflict.rule], [true, 'override_retryable']);
    assert.equal(classify({ error: { message: 'x', code: 'ENOTFOUND' }, unknownRetryable: false }, overrides).retryable, true);
    assert.equal(classify({ error: { message: 'x', code: 'ODOO_TIMEOUT', cause: { kind: 'timeout', retryable: true } }, unknownRetryable: true }, overrides).retryable, false);
    const unlisted = { retryable: parseOverrideList('validation'), fatal: new Set<string>() };
    assert.equal(classify({ error: { message: 'x', cause: { kind: 'validation', retryable: false } }, unknownRetryable: true }, unlisted).retryable, true);
  });

  it('parseOverrideList ignores blanks and non-strings', () => {
    assert.deepEqual([...parseOverrideList(' a, ,B ;c ')], ['a', 'b', 'c']);
    assert.equal(parseOverrideList(undefined).size, 0);
  });
});
