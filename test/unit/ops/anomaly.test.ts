import { strict as assert } from 'node:assert';
import { AlertBook, BacklogTrend, EwmaBaseline, explainRate, type Condition } from '../../../nodes/lib/ops/anomaly';

/** Deterministic noise (mulberry32), so a failing series can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const binomial = (rnd: () => number, n: number, p: number): number => {
  let k = 0;
  for (let i = 0; i < n; i++) if (rnd() < p) k++;
  return k;
};

const poisson = (rnd: () => number, mean: number): number => {
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rnd();
  while (p > limit) {
    k++;
    p *= rnd();
  }
  return k;
};

describe('anomaly signals', () => {
  describe('failure rate against its own EWMA baseline', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      it(`steady 2% noise over 1,000 windows raises nothing (seed ${seed})`, () => {
        const rnd = random(seed);
        const baseline = new EwmaBaseline('rate');
        for (let w = 0; w < 1000; w++) {
          const volume = 150 + Math.floor(rnd() * 100);
          assert.equal(baseline.rate(binomial(rnd, volume, 0.02), volume).anomalous, false, `window ${w}`);
        }
      });

      it(`a step from 2% to 15% is flagged within 2 windows and stays flagged (seed ${seed})`, () => {
        const rnd = random(seed);
        const baseline = new EwmaBaseline('rate');
        for (let w = 0; w < 200; w++) baseline.rate(binomial(rnd, 200, 0.02), 200);
        const after = [0, 1, 2, 3, 4, 5].map(() => baseline.rate(binomial(rnd, 200, 0.15), 200));
        assert.ok(after[0].anomalous || after[1].anomalous, `flagged at once: ${JSON.stringify(after.slice(0, 2))}`);
        assert.ok(after.slice(1).every((r) => r.anomalous), 'a lasting step is not learnt as the new normal');
        assert.ok(after[0].baseline < 0.04 && after[0].baseline > 0.005, `baseline ${after[0].baseline} is the level before the step`);
      });
    }

    it('does not judge windows with too few calls, nor before the baseline has warmed up', () => {
      const baseline = new EwmaBaseline('rate', { minVolume: 20, warmupWindows: 5 });
      for (let w = 0; w < 4; w++) assert.equal(baseline.rate(0, 100).judged, false, 'warming up');
      baseline.rate(1, 100);
      const quiet = baseline.rate(5, 5);
      assert.equal(quiet.judged, false);
      assert.equal(quiet.anomalous, false, '5 failures of 5 calls is not enough to alert');
      assert.equal(baseline.rate(60, 100).anomalous, true);
    });

    it('explains itself with the numbers it used', () => {
      const baseline = new EwmaBaseline('rate', { warmupWindows: 1 });
      baseline.rate(2, 100);
      const reading = baseline.rate(40, 100);
      assert.equal(explainRate('connection odoo', reading, 40, 60_000), 'connection odoo: 40 of 100 calls failed in the last 1 min (40.0%); its baseline is 2.0%, alert above 8.0% (z 19.0)');
    });
  });

  describe('dead-letter inflow', () => {
    for (const mean of [0.5, 2, 20]) {
      it(`steady Poisson(${mean}) inflow over 1,000 windows raises nothing; a jump to 3x + 15 a window is flagged at once`, () => {
        const rnd = random(7);
        const baseline = new EwmaBaseline('count');
        for (let w = 0; w < 1000; w++) assert.equal(baseline.count(poisson(rnd, mean)).anomalous, false, `window ${w}`);
        assert.equal(baseline.count(Math.round(mean * 3 + 15)).anomalous, true);
      });
    }

    it('needs at least the minimum volume to alert, even from a baseline of zero', () => {
      const baseline = new EwmaBaseline('count', { minVolume: 3, z: 3, minDeviation: 1 });
      for (let w = 0; w < 10; w++) baseline.count(0);
      assert.equal(baseline.count(2).anomalous, false);
      assert.equal(baseline.count(4).anomalous, true);
    });
  });

  describe('backlog growth', () => {
    it('predicts when a growing backlog crosses its threshold and alerts within the horizon', () => {
      const trend = new BacklogTrend({ threshold: 100, horizonMs: 30 * 60_000 });
      const t0 = 1_000_000;
      let reading = trend.add(t0, 10);
      for (let m = 1; m <= 5; m++) reading = trend.add(t0 + m * 60_000, 10 + m * 2);
      assert.equal(reading.perMinute.toFixed(3), '2.000');
      assert.equal(Math.round((reading.etaMs as number) / 60_000), 40, '(100 - 20) / 2 per minute');
      assert.equal(reading.anomalous, false, '40 min is beyond the 30 min horizon');
      for (let m = 6; m <= 9; m++) reading = trend.add(t0 + m * 60_000, 20 + (m - 5) * 10);
      assert.ok(reading.anomalous, `eta ${reading.etaMs}`);
      assert.ok((reading.etaMs as number) < 30 * 60_000);
    });

    it('flags a backlog at its threshold and a flat one not', () => {
      const flat = new BacklogTrend({ threshold: 100 });
      for (let m = 0; m < 10; m++) assert.equal(flat.add(m * 60_000, 50).anomalous, false);
      assert.equal(flat.add(10 * 60_000, 50).etaMs, undefined);
      const full = new BacklogTrend({ threshold: 100 });
      assert.equal(full.add(0, 100).etaMs, 0);
    });
  });

  describe('alert book', () => {
    const condition = (anomalous: boolean, judged = true): Condition => ({
      kind: 'failure_rate', subject: 'node w1', anomalous, judged, value: anomalous ? 0.4 : 0.02, baseline: 0.02, threshold: 0.08, explanation: 'why',
    });

    it('opens once, resolves once, then stays quiet for the cool-down', () => {
      const book = new AlertBook(300_000);
      assert.equal(book.update(condition(false), 0), undefined);
      const opened = book.update(condition(true), 60_000);
      assert.equal(opened?.state, 'open');
      assert.equal(opened?.since, 60_000);
      assert.equal(book.update(condition(true), 120_000), undefined, 'no repeat while open');
      assert.equal(book.update(condition(false, false), 180_000), undefined, 'no verdict: stays open');
      assert.equal(book.active().length, 1);
      const resolved = book.update(condition(false), 240_000);
      assert.equal(resolved?.state, 'resolved');
      assert.equal(resolved?.since, 60_000);
      assert.equal(resolved?.at, 240_000);
      assert.equal(book.update(condition(true), 300_000), undefined, 'inside the cool-down');
      assert.equal(book.update(condition(true), 540_000)?.state, 'open', 'after the cool-down');
    });
  });
});
