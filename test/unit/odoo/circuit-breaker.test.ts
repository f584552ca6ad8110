import assert from 'node:assert/strict';
import { CircuitBreaker, type CircuitState } from '../../../nodes/lib/odoo';
import { ValidationError } from '../../../nodes/lib/errors';

function breaker(options = {}) {
  const clock = { now: 0 };
  const cb = new CircuitBreaker(options, () => clock.now);
  const states: CircuitState[] = [];
  cb.onChange((s) => states.push(s));
  const run = (outcome: 'success' | 'retryable_failure' | 'other_failure') => {
    const permit = cb.acquire();
    assert.ok(permit.allowed, 'call should be allowed');
    cb.record(outcome, permit.probe);
  };
  return { cb, clock, states, run };
}

describe('circuit breaker', () => {
  it('opens after the default 5 consecutive retryable failures and fails fast for the cool-down', () => {
    const { cb, clock, states, run } = breaker();
    for (let i = 0; i < 4; i += 1) run('retryable_failure');
    assert.equal(cb.state, 'closed');
    run('retryable_failure');
    assert.equal(cb.state, 'open');
    assert.deepEqual(states, ['open']);
    clock.now = 29_999;
    const permit = cb.acquire();
    assert.deepEqual(permit, { allowed: false, retryAfterMs: 1, reopensAt: 30_000 });
  });

  it('a success in between resets the consecutive count', () => {
    const { cb, run } = breaker({ minCalls: 1000 });
    for (let i = 0; i < 4; i += 1) run('retryable_failure');
    run('success');
    for (let i = 0; i < 4; i += 1) run('retryable_failure');
    assert.equal(cb.state, 'closed');
  });

  it('non-retryable failures never open it and break a failure streak', () => {
    const { cb, run } = breaker({ minCalls: 1000 });
    for (let i = 0; i < 20; i += 1) run('other_failure');
    for (let i = 0; i < 4; i += 1) run('retryable_failure');
    run('other_failure');
    for (let i = 0; i < 4; i += 1) run('retryable_failure');
    assert.equal(cb.state, 'closed');
  });

  it('opens when the failure rate in the window reaches the threshold with enough calls', () => {
    const { cb, clock, run } = breaker({ failureThreshold: 100, minCalls: 10, failureRate: 0.5, windowMs: 30_000 });
    // Alternate: never two failures in a row, half of the calls fail.
    for (let i = 0; i < 9; i += 1) {
      clock.now += 100;
      run(i % 2 === 0 ? 'success' : 'retryable_failure');
    }
    assert.equal(cb.state, 'closed', '9 calls are fewer than minCalls');
    clock.now += 100;
    run('retryable_failure');
    assert.equal(cb.state, 'open', '5 failures out of 10 calls');
  });

  it('forgets calls older than the window', () => {
    const { cb, clock, run } = breaker({ failureThreshold: 100, minCalls: 4, failureRate: 0.5, windowMs: 10_000 });
    run('retryable_failure');
    run('retryable_failure');
    run('retryable_failure');
    clock.now = 20_000;
    run('success');
    run('success');
    run('success');
    run('retryable_failure');
    assert.equal(cb.state, 'closed', '1 failure in 4 recent calls');
  });

  it('lets exactly one probe through after the cool-down; success closes', () => {
    const { cb, clock, states, run } = breaker({ failureThreshold: 2, coolDownMs: 1000 });
    run('retryable_failure');
    run('retryable_failure');
    clock.now = 1000;
    const probe = cb.acquire();
    assert.deepEqual(probe, { allowed: true, probe: true });
    assert.equal(cb.state, 'half_open');
    const second = cb.acquire();
    assert.deepEqual(second, { allowed: false, retryAfterMs: 1000, reopensAt: 2000 }, 'only one probe at a time');
    cb.record('success', true);
    assert.equal(cb.state, 'closed');
    assert.deepEqual(cb.acquire(), { allowed: true, probe: false });
    assert.deepEqual(states, ['open', 'half_open', 'closed']);
  });

  it('a failed probe re-opens for another cool-down; a non-retryable probe answer closes', () => {
    const { cb, clock, states, run } = breaker({ failureThreshold: 1, coolDownMs: 1000 });
    run('retryable_failure');
    clock.now = 1000;
    let probe = cb.acquire();
    assert.ok(probe.allowed && probe.probe);
    cb.record('retryable_failure', true);
    assert.equal(cb.state, 'open');
    clock.now = 1999;
    assert.equal(cb.acquire().allowed, false);
    clock.now = 2000;
    probe = cb.acquire();
    assert.ok(probe.allowed && probe.probe);
    cb.record('other_failure', true);
    assert.equal(cb.state, 'closed');
    assert.deepEqual(states, ['open', 'half_open', 'open', 'half_open', 'closed']);
  });

  it('refresh() moves to half_open once the cool-down is over, and not before', () => {
    const { cb, clock, states, run } = breaker({ failureThreshold: 1, coolDownMs: 500 });
    run('retryable_failure');
    clock.now = 499;
    cb.refresh();
    assert.equal(cb.state, 'open');
    clock.now = 500;
    cb.refresh();
    assert.equal(cb.state, 'half_open');
    assert.deepEqual(cb.acquire(), { allowed: true, probe: true });
    assert.deepEqual(states, ['open', 'half_open']);
  });

  it('ignores late results of calls let through before it opened', () => {
    const { cb, run } = breaker({ failureThreshold: 2 });
    const late = cb.acquire();
    run('retryable_failure');
    run('retryable_failure');
    assert.equal(cb.state, 'open');
    assert.ok(late.allowed);
    cb.record('success', late.probe);
    assert.equal(cb.state, 'open');
  });

  it('keeps notifying the other listeners when one throws', () => {
    const { cb, run, states } = breaker({ failureThreshold: 1 });
    cb.onChange(() => {
      throw new Error('broken listener');
    });
    const after: CircuitState[] = [];
    cb.onChange((s) => after.push(s));
    run('retryable_failure');
    assert.deepEqual(states, ['open']);
    assert.deepEqual(after, ['open']);
  });

  it('a slow call counts as a retryable failure; slow calls holding every slot open it at once', () => {
    const { cb, run } = breaker({ failureThreshold: 3 });
    const slow = (saturated: boolean) => {
      const permit = cb.acquire();
      assert.ok(permit.allowed);
      cb.recordSlow(permit.probe, saturated);
    };
    slow(false);
    run('retryable_failure');
    assert.equal(cb.state, 'closed');
    slow(false);
    assert.equal(cb.state, 'open', 'two slow calls and a failure reach the threshold of 3');
    const other = breaker({ failureThreshold: 5 });
    const permit = other.cb.acquire();
    assert.ok(permit.allowed);
    other.cb.recordSlow(permit.probe, true);
    assert.equal(other.cb.state, 'open');
    assert.equal(other.cb.isOpen(), true);
  });

  it('a slow probe re-opens the circuit', () => {
    const { cb, clock } = breaker({ failureThreshold: 1, coolDownMs: 100 });
    const first = cb.acquire();
    assert.ok(first.allowed);
    cb.record('retryable_failure', first.probe);
    clock.now = 100;
    assert.equal(cb.isOpen(), false, 'half-open after the cool-down');
    const probe = cb.acquire();
    assert.ok(probe.allowed && probe.probe);
    cb.recordSlow(probe.probe, true);
    assert.equal(cb.state, 'open');
    assert.equal(cb.reopensAt, 200);
  });

  it('refuses nonsense options with a validation error naming the option', () => {
    assert.throws(() => new CircuitBreaker({ failureRate: 2 }), (err: unknown) => err instanceof ValidationError && /circuit\.failureRate/.test(err.message));
    assert.throws(() => new CircuitBreaker({ coolDownMs: -1 }), (err: unknown) => err instanceof ValidationError && /circuit\.coolDownMs/.test(err.message));
  });
});
