import { strict as assert } from 'node:assert';
import { envAccessFrom, envAllowed, envNamesUsed, envRefusal, sameServer, storedSecretRefusal } from '../../../nodes/lib/runtime/connection-test';
import { statusForKey, withConnectionNotice } from '../../../nodes/lib/runtime/odoo-status';
import { failed, ok } from '../../../nodes/lib/status';

describe('connection status notice', () => {
  it('adds the environment label, and lets a key warning take the colour unless the node shows an error', () => {
    assert.deepEqual(withConnectionNotice({}, {}), {});
    assert.deepEqual(withConnectionNotice({}, { environment: 'production' }), { text: 'production' });
    assert.deepEqual(withConnectionNotice(ok('3 records'), { environment: 'production' }), { fill: 'green', shape: 'dot', text: '3 records · production' });
    const expiring = { state: 'expiring' as const, daysLeft: 4, expiresAt: 1, key: 1 as const };
    assert.deepEqual(withConnectionNotice(ok('3 records'), { keyExpiry: expiring }), { fill: 'yellow', shape: 'ring', text: '3 records · API key expires in 4 d' });
    assert.deepEqual(withConnectionNotice(failed('timeout'), { keyExpiry: expiring, environment: 'test' }), { fill: 'red', shape: 'ring', text: 'timeout · API key expires in 4 d · test' });
    assert.deepEqual(statusForKey({ state: 'expired', key: 2 }), { fill: 'red', shape: 'ring', text: 'API key expired' });
    assert.equal(statusForKey({ state: 'ok', key: 1, daysLeft: 90 }), undefined);
  });
});

describe('connection test endpoint guards', () => {
  it('allows ODOO_ variables by default, or the prefixes and names of the settings', () => {
    const byDefault = envAccessFrom(undefined);
    assert.ok(envAllowed('ODOO_API_KEY', byDefault));
    assert.ok(!envAllowed('AWS_SECRET_ACCESS_KEY', byDefault));
    const custom = envAccessFrom({ envPrefixes: 'ERP_, CRM_', envNames: ['ONE_KEY'] });
    assert.ok(envAllowed('CRM_KEY', custom) && envAllowed('ONE_KEY', custom));
    assert.ok(!envAllowed('ODOO_API_KEY', custom));
    assert.match(String(envRefusal(['HOME', 'ODOO_X'], byDefault)), /variable HOME \(allowed: ODOO_\*/);
    assert.equal(envRefusal(['ODOO_X'], byDefault), undefined);
  });

  it('finds every variable typed settings would read: ${NAME} references and "from env" names', () => {
    assert.deepEqual(envNamesUsed({ url: '${A_URL}', database: 'db', apiKeyEnv: 'B', passwordEnv: ' ', apiKey2Env: 'C' }, { apiKey: '${D}', password: 'plain' }).sort(), ['A_URL', 'B', 'C', 'D']);
  });

  it('stored secrets go only to the deployed URL', () => {
    assert.ok(sameServer('https://ERP.example.com/', 'https://erp.example.com'));
    assert.ok(!sameServer('https://erp.example.com', 'https://erp.example.com.evil.test'));
    assert.equal(storedSecretRefusal(true, 'https://erp.example.com/', 'https://erp.example.com'), undefined);
    assert.equal(storedSecretRefusal(false, 'https://evil.test', 'https://erp.example.com'), undefined);
    assert.match(String(storedSecretRefusal(true, 'https://evil.test', 'https://erp.example.com')), /only sent to its deployed URL https:\/\/erp\.example\.com/);
    assert.match(String(storedSecretRefusal(true, 'https://evil.test', undefined)), /only sent to its deployed URL/);
  });
});
