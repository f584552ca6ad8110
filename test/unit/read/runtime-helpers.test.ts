import { strict as assert } from 'node:assert';
import { OdooError } from '../../../nodes/lib/odoo/errors';
import { callOptionsFrom } from '../../../nodes/lib/runtime/call-options';
import { connectionOptions } from '../../../nodes/lib/runtime/connection';
import { substituteEnv } from '../../../nodes/lib/runtime/env';
import { statusForCircuit, statusForError } from '../../../nodes/lib/runtime/odoo-status';

describe('node runtime helpers', () => {
  it('substitutes whole-value ${NAME} references only', () => {
    const env = (n: string) => ({ URL: 'http://odoo:8069' })[n];
    assert.equal(substituteEnv('${URL}', env), 'http://odoo:8069');
    assert.equal(substituteEnv('x ${URL}', env), 'x ${URL}');
    assert.equal(substituteEnv('${MISSING}', env), '${MISSING}');
  });

  it('builds client options from editor settings: seconds to ms, defaults, TLS on unless unchecked', () => {
    const options = connectionOptions({ url: '${URL}', database: '', protocol: 'bogus', timeout: '', concurrency: '8', tlsVerify: false }, { apiKey: '${KEY}' }, (n) => ({ URL: 'https://e.example', KEY: 'k' })[n]);
    assert.deepEqual(options, {
      url: 'https://e.example',
      database: undefined,
      protocol: 'auto',
      login: undefined,
      apiKey: 'k',
      password: undefined,
      apiKey2: undefined,
      timeoutMs: 120000,
      readTimeoutMs: 30000,
      policy: { allowRead: undefined, allowWrite: undefined, readOnly: false, maxRecords: 0 },
      includeTraceback: false,
      keyExpiryWarnDays: 14,
      pauseAfterAuthFailures: 20,
      concurrency: 8,
      rejectUnauthorized: false,
      circuit: { failureThreshold: 5, coolDownMs: 30_000, slowCallMs: 30_000 },
    });
    assert.equal(connectionOptions({ url: 'http://x', timeout: 5 }, {}, () => undefined).rejectUnauthorized, true);
    assert.equal(connectionOptions({ url: 'http://x', timeout: 5 }, {}, () => undefined).timeoutMs, 5000);
    assert.deepEqual(connectionOptions({ url: 'http://x' }, {}, () => undefined).circuit, { failureThreshold: 5, coolDownMs: 30_000, slowCallMs: 30_000 });
    assert.deepEqual(connectionOptions({ url: 'http://x', circuitThreshold: '20', circuitCoolDown: '5', slowCallSeconds: '2' }, {}, () => undefined).circuit, { failureThreshold: 20, coolDownMs: 5_000, slowCallMs: 2_000 });
    assert.equal(connectionOptions({ url: 'http://x', circuitThreshold: 0 }, {}, () => undefined).circuit, false);
  });

  it('forwards correlation id and traceparent from the message or its HTTP request', () => {
    assert.deepEqual(callOptionsFrom({ correlationId: 'c', traceparent: 't' }), { correlationId: 'c', traceparent: 't' });
    assert.deepEqual(callOptionsFrom({ req: { headers: { traceparent: 'from-req' } } }), { traceparent: 'from-req' });
    assert.deepEqual(callOptionsFrom({ correlationId: 42 }), {});
    const fromTracer = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    assert.deepEqual(callOptionsFrom({ trace: { traceparent: fromTracer }, req: { headers: { traceparent: 'from-req' } } }), { traceparent: fromTracer });
  });

  it('maps error kinds and circuit states to the status vocabulary', () => {
    assert.equal(statusForError(new OdooError({ kind: 'auth', message: 'x' })).text, 'authentication failed');
    assert.equal(statusForError(new OdooError({ kind: 'network', message: 'x' })).text, 'disconnected');
    assert.equal(statusForError(new OdooError({ kind: 'circuit_open', message: 'x' })).text, 'circuit open');
    assert.equal(statusForError(new OdooError({ kind: 'rate_limited', message: 'x' })).text, 'rate limited');
    assert.deepEqual(statusForCircuit('open'), { fill: 'red', shape: 'ring', text: 'circuit open' });
    assert.deepEqual(statusForCircuit('closed'), {});
  });
});
