import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { deadLetterKey, withDeadLetterEncryption } from '../../../nodes/lib/ops/dlq-crypto';
import { createRedisStore, createSqliteStore } from '../../../nodes/lib/store';
import type { DeadLetter, MiddlewareStore } from '../../../nodes/lib/store/types';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../../helpers/redis';

const letter = (id: string): DeadLetter => ({
  id,
  message: { payload: { email: 'jane@example.com', lines: [{ qty: 2 }] }, buffer: { type: 'Buffer', data: [1, 2] } },
  droppedPaths: ['req'],
  error: { message: 'partner jane@example.com refused', code: 'ODOO_VALIDATION' },
  history: [{ attempt: 1, error: { message: 'jane@example.com' } }],
  nodeId: 'retry-1',
  flowId: 'f1',
  correlationId: 'corr-1',
  errorKind: 'validation',
  createdAt: 1,
  updatedAt: 1,
  status: 'dead',
});

describe('dead-letter encryption', () => {
  it('reads a 64-hex or base64 key as is, and stretches a passphrase', () => {
    assert.deepEqual(deadLetterKey('ab'.repeat(32)), Buffer.from('ab'.repeat(32), 'hex'));
    const b64 = Buffer.alloc(32, 7).toString('base64');
    assert.deepEqual(deadLetterKey(b64), Buffer.alloc(32, 7));
    assert.equal(deadLetterKey('correct horse battery staple').length, 32);
    assert.notDeepEqual(deadLetterKey('one passphrase'), deadLetterKey('another passphrase'));
  });

  for (const backend of ['sqlite', 'redis'] as const) {
    describe(backend, function () {
      let raw: MiddlewareStore;
      let dir = '';
      const prefix = uniqueKeyPrefix('dlq-crypto');
      before(async function () {
        if (backend === 'redis') await requireRedis(this);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dlq-crypto-'));
        raw = backend === 'sqlite' ? createSqliteStore({ path: path.join(dir, 's.sqlite') }) : createRedisStore({ url: REDIS_URL, keyPrefix: prefix });
      });
      after(async () => {
        await raw?.close();
        fs.rmSync(dir, { recursive: true, force: true });
        if (backend === 'redis') await deleteKeys(prefix);
      });

      it('stores the body sealed and gives the original back through get and list; filters still work', async () => {
        const key = deadLetterKey('a'.repeat(64));
        const store = withDeadLetterEncryption(raw, key);
        assert.equal(store.deadLetterEncryption, 'aes-256-gcm');
        await store.addDeadLetter(letter('L1'));
        const stored = await raw.getDeadLetter('L1');
        assert.ok(stored && !JSON.stringify(stored).includes('jane@example.com'), 'nothing readable at rest');
        assert.deepEqual(await store.getDeadLetter('L1'), letter('L1'));
        const page = await store.listDeadLetters({ correlationId: 'corr-1', errorKind: 'validation' });
        assert.deepEqual(page.items, [letter('L1')]);
        assert.equal(await store.countDeadLetters({ status: 'dead', nodeId: 'retry-1' }), 1);
      });

      it('a letter stored before the key was set reads as it is; a wrong key is a clear error', async () => {
        await raw.addDeadLetter(letter('L2'));
        const store = withDeadLetterEncryption(raw, deadLetterKey('first'));
        assert.deepEqual(await store.getDeadLetter('L2'), letter('L2'));
        await store.addDeadLetter(letter('L3'));
        const other = withDeadLetterEncryption(raw, deadLetterKey('second'));
        await assert.rejects(other.getDeadLetter('L3'), /dead letter L3 could not be decrypted with the configured key/);
        const listed = (await other.listDeadLetters({})).items;
        assert.deepEqual(listed.find((l) => l.id === 'L2'), letter('L2'));
        assert.match(String(listed.find((l) => l.id === 'L3')?.error.message), /could not be decrypted/);
        assert.equal(withDeadLetterEncryption(raw, undefined).deadLetterEncryption, 'none');
      });
    });
  }
});
