import { strict as assert } from 'node:assert';
import { DEFAULT_POLICY, nextDelay, parsePolicy } from '../../../nodes/lib/retry/policy';
import { planRetry } from '../../../nodes/lib/retry/plan';
import { NO_OVERRIDES } from '../../../nodes/lib/retry/classify';

const fixed = (r: number) => () => r;

describe('retry policy', () => {
  it('defaults: 5 attempts, base 1 s, cap 60 s, x2, 15 min', () => {
    assert.deepEqual({ ...DEFAULT_POLICY }, { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2, maxTotalMs: 900_000 });
  });

  it('full jitter: the upper bound doubles per attempt up to the cap', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 8, 20].map((a) => nextDelay(a, DEFAULT_POLICY, fixed(1))), [1000, 2000, 4000, 8000, 60_000, 60_000, 60_000]);
    assert.equal(nextDelay(1, DEFAULT_POLICY, fixed(0)), 0);
    assert.equal(nextDelay(3, DEFAULT_POLICY, fixed(0.5)), 2000);
    assert.equal(nextDelay(0, DEFAULT_POLICY, fixed(1)), 1000, 'attempt below 1 behaves as the first');
  });

  it('jitter stays inside [0, ceiling] whatever random returns', () => {
    for (const r of [-1, 0, 0.3, 0.999, 1, 5]) {
      const d = nextDelay(4, DEFAULT_POLICY, fixed(r));
      assert.ok(d >= 0 && d <= 8000, `${r} -> ${d}`);
    }
  });

  it('Retry-After is a floor, not a replacement', () => {
    assert.equal(nextDelay(1, DEFAULT_POLICY, fixed(0.1), 5000), 5000);
    assert.equal(nextDelay(4, DEFAULT_POLICY, fixed(1), 5000), 8000);
    assert.equal(nextDelay(10, DEFAULT_POLICY, fixed(1), 120_000), 120_000, 'the server wins over the cap');
  });

  it('parsePolicy: blanks mean default, bad values name the field', () => {
    assert.deepEqual(parsePolicy({ maxAttempts: '3', baseDelayMs: '', multiplier: 3 }), { ...DEFAULT_POLICY, maxAttempts: 3, multiplier: 3 });
    assert.throws(() => parsePolicy({ maxAttempts: '0' }), /maxAttempts must be an integer >= 1/);
    assert.throws(() => parsePolicy({ maxAttempts: 2.5 }), /maxAttempts/);
    assert.throws(() => parsePolicy({ baseDelayMs: 'soon' }), /baseDelayMs must be a number >= 0/);
    assert.throws(() => parsePolicy({ baseDelayMs: 5000, maxDelayMs: 1000 }), /maxDelayMs \(1000\) must be >= baseDelayMs/);
  });
});

describe('planRetry', () => {
  const base = { policy: DEFAULT_POLICY, overrides: NO_OVERRIDES, unknownRetryable: true, random: fixed(1) };
  const timeout = { message: 'Error: timed out', code: 'ODOO_TIMEOUT', source: { id: 'w1', type: 'odoo-write', name: '', count: 1 }, stack: 'long', cause: { kind: 'timeout', retryable: true, outcomeUnknown: true } };

  it('first failure: attempt 2 next, history with the error and no stack', () => {
    const d = planRetry({ ...base, error: timeout, prior: undefined, now: 1000 });
    assert.equal(d.action, 'retry');
    if (d.action !== 'retry') return;
    assert.equal(d.delayMs, 1000);
    assert.equal(d.state.attempt, 2);
    assert.equal(d.state.nextDelayMs, 1000);
    assert.equal(d.state.firstFailedAt, 1000);
    assert.equal(d.state.outcomeUnknown, true);
    assert.deepEqual(d.state.history, [
      { attempt: 1, at: 1000, error: { message: 'Error: timed out', code: 'ODOO_TIMEOUT', cause: timeout.cause, source: { id: 'w1', type: 'odoo-write', name: '' } } },
    ]);
  });

  it('continues from msg.retry and keeps outcomeUnknown once set', () => {
    const prior = { attempt: 3, history: [{ attempt: 1 }, { attempt: 2 }], firstFailedAt: 500, outcomeUnknown: true };
    const d = planRetry({ ...base, error: { message: 'x', code: 'ECONNRESET' }, prior, now: 2000 });
    assert.equal(d.action, 'retry');
    assert.equal(d.state.attempt, 4);
    assert.equal(d.state.history.length, 3);
    assert.equal(d.state.firstFailedAt, 500);
    assert.equal(d.state.outcomeUnknown, true);
    if (d.action === 'retry') assert.equal(d.delayMs, 4000);
  });

  it('dead-letters after maxAttempts attempts in all', () => {
    const d = planRetry({ ...base, error: timeout, prior: { attempt: 5, history: [], firstFailedAt: 0 }, now: 10 });
    assert.deepEqual([d.action, d.action === 'dead_letter' && d.reason, d.state.attempt], ['dead_letter', 'max_attempts', 5]);
    const four = planRetry({ ...base, error: timeout, prior: { attempt: 4, history: [], firstFailedAt: 0 }, now: 10 });
    assert.equal(four.action, 'retry');
  });

  it('dead-letters a non-retryable error after one attempt', () => {
    const d = planRetry({ ...base, error: { message: 'x', code: 'ODOO_VALIDATION', cause: { kind: 'validation', retryable: false } }, prior: undefined, now: 1 });
    assert.equal(d.action, 'dead_letter');
    if (d.action === 'dead_letter') assert.equal(d.reason, 'not_retryable');
    assert.equal(d.state.history.length, 1);
  });

  it('max total time: a retry that would fire past it dead-letters', () => {
    const policy = { ...DEFAULT_POLICY, maxTotalMs: 10_000 };
    const prior = { attempt: 2, history: [], firstFailedAt: 0 };
    const inside = planRetry({ ...base, policy, error: timeout, prior, now: 7_000 });
    assert.equal(inside.action, 'retry', '7 s + 2 s <= 10 s');
    const past = planRetry({ ...base, policy, error: timeout, prior, now: 8_500 });
    assert.equal(past.action, 'dead_letter');
    if (past.action === 'dead_letter') assert.equal(past.reason, 'max_total_time');
  });
});
