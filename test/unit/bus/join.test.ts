import { strict as assert } from 'node:assert';
import { GroupJoin } from '../../../nodes/lib/bus/join';
import type { Timers } from '../../../nodes/lib/dlq/replay-queue';

/** Timers that fire only when the test says so. */
class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Fires every pending timer of `ms`. */
  fire(ms: number): void {
    for (const [id, t] of [...this.pending]) {
      if (t.ms !== ms) continue;
      this.pending.delete(id);
      t.fn();
    }
  }
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Each join() call is an attempt the test resolves or rejects. */
function attempts(): { join: () => Promise<void>; calls: Array<{ resolve: () => void; reject: (err: Error) => void }> } {
  const calls: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  return { calls, join: () => new Promise<void>((resolve, reject) => calls.push({ resolve, reject })) };
}

describe('GroupJoin: a subscriber joining its group, and a publisher waiting for it', () => {
  it('a publisher waits for the first attempt and goes ahead once the member is in its group', async () => {
    const timers = new ManualTimers();
    const a = attempts();
    const join = new GroupJoin({ join: a.join, refused: () => undefined, retryMs: 5000, timers });
    const early = join.whenJoined(1000);
    join.start();
    const during = join.whenJoined(1000);
    a.calls[0].resolve();
    assert.equal(await early, true, 'asked before the start');
    assert.equal(await during, true, 'asked while joining');
    assert.equal(join.joined, true);
    assert.equal(await join.whenJoined(1000), true);
    assert.equal(timers.pending.size, 0, 'no wait left behind');
  });

  it('a publisher gives up after its timeout while the attempt still runs', async () => {
    const timers = new ManualTimers();
    const a = attempts();
    const join = new GroupJoin({ join: a.join, refused: () => undefined, retryMs: 5000, timers });
    join.start();
    const waiting = join.whenJoined(1000);
    timers.fire(1000);
    assert.equal(await waiting, false);
    assert.equal(join.joined, false);
  });

  it('a refused attempt answers waiting publishers false, answers false at once until the retry, and is tried again', async () => {
    const timers = new ManualTimers();
    const a = attempts();
    const refusals: Array<[string, boolean]> = [];
    const join = new GroupJoin({ join: a.join, refused: (err, changed) => refusals.push([(err as Error).message, changed]), retryMs: 5000, timers });
    join.start();
    const waiting = join.whenJoined(1000);
    a.calls[0].reject(new Error('connect ECONNREFUSED'));
    assert.equal(await waiting, false);
    assert.equal(await join.whenJoined(1000), false, 'no wait between attempts');

    timers.fire(5000);
    assert.equal(a.calls.length, 2, 'tried again after retryMs');
    a.calls[1].reject(new Error('connect ECONNREFUSED'));
    await settle();
    timers.fire(5000);
    a.calls[2].reject(new Error('ACCESS_REFUSED'));
    await settle();
    assert.deepEqual(refusals, [['connect ECONNREFUSED', true], ['connect ECONNREFUSED', false], ['ACCESS_REFUSED', true]], 'the same refusal is reported once');

    timers.fire(5000);
    const next = join.whenJoined(1000);
    a.calls[3].resolve();
    assert.equal(await next, true);
    assert.equal(join.joined, true);
  });

  it('stop() answers waiting publishers false and ends the retries', async () => {
    const timers = new ManualTimers();
    const a = attempts();
    const join = new GroupJoin({ join: a.join, refused: () => undefined, retryMs: 5000, timers });
    join.start();
    const waiting = join.whenJoined(1000);
    join.stop();
    assert.equal(await waiting, false);
    a.calls[0].reject(new Error('closed'));
    await settle();
    assert.equal(timers.pending.size, 0, 'no retry after stop');
    assert.equal(await join.whenJoined(1000), false);
  });
});
