/** Redis-only behaviour of the bus: the start-up warning when the server would lose events in a crash. */
import * as assert from 'node:assert/strict';
import Redis from 'ioredis';
import { createRedisBus } from '../../../nodes/lib/bus';
import { REDIS_URL, requireRedis, uniqueKeyPrefix } from '../../helpers/redis';

describe('redis event bus: durability warning', function () {
  before(async function () {
    await requireRedis(this);
  });

  it('warns when appendonly is off, and only then', async () => {
    const admin = new Redis(REDIS_URL);
    const bus = createRedisBus({ url: REDIS_URL, keyPrefix: uniqueKeyPrefix('bus-warn') });
    try {
      const [, appendonly] = (await admin.call('CONFIG', 'GET', 'appendonly')) as string[];
      const warnings = await bus.durabilityWarnings();
      if (appendonly === 'no') {
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], /appendonly/);
        assert.doesNotMatch(warnings[0], /password/);
      } else assert.deepEqual(warnings, []);
    } finally {
      admin.disconnect();
      await bus.close();
    }
  });
});
