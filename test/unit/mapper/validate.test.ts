import { strict as assert } from 'node:assert';
import { canonicalRegistry, canonicalId, listCanonicalSchemas } from '../../../nodes/lib/canonical/schemas';

const order = () => ({
  externalId: '1001',
  orderDate: '2026-01-15T10:20:30Z',
  currency: 'EUR',
  customer: { email: 'bob@example.com', name: 'Bob' },
  lines: [{ sku: 'A1', name: 'Thing', quantity: 2, unitPrice: 9.5 }],
});

describe('mapper: schema validation', () => {
  it('bundles the six canonical models with versioned ids', () => {
    const names = listCanonicalSchemas().map((s) => `${s.name}@${s.version}`).sort();
    assert.deepEqual(names, ['invoice@1.0.0', 'party@1.0.0', 'payment@1.0.0', 'product@1.0.0', 'sales-order@1.0.0', 'shipment@1.0.0']);
  });

  it('compiles each schema once and reuses the validator', () => {
    const registry = canonicalRegistry();
    assert.equal(registry.get(canonicalId('party')), registry.get(canonicalId('party')));
  });

  it('accepts a valid SalesOrder', () => {
    assert.deepEqual(canonicalRegistry().get(canonicalId('sales-order')).validate(order()), []);
  });

  it('reports every problem as {path, message} with dotted paths', () => {
    const bad = { ...order(), currency: 'eur', orderDate: 'yesterday', extra: 1, customer: { name: 'x' }, lines: [{ name: 'A', quantity: 0 }] } as Record<string, unknown>;
    delete bad.externalId;
    const errors = canonicalRegistry().get(canonicalId('sales-order')).validate(bad);
    const byPath = Object.fromEntries(errors.map((e) => [e.path, e.message]));
    assert.deepEqual(byPath, {
      externalId: 'is required',
      extra: 'is not allowed here',
      orderDate: 'must match format "date-time"',
      currency: 'must match pattern "^[A-Z]{3}$"',
      customer: 'needs one of: odooId, externalId, email',
      'lines[0].unitPrice': 'is required',
      'lines[0].quantity': 'must be > 0',
    });
    for (const e of errors) assert.deepEqual(Object.keys(e).sort(), ['message', 'path']);
  });

  it('checks formats: email, date, uri', () => {
    const party = canonicalRegistry().get(canonicalId('party'));
    assert.deepEqual(party.validate({ name: 'A', email: 'not-an-email' }), [{ path: 'email', message: 'must match format "email"' }]);
    const invoice = canonicalRegistry().get(canonicalId('invoice'));
    const errs = invoice.validate({ externalId: 'I1', kind: 'bill', invoiceDate: '2026-13-01', currency: 'EUR', customer: { odooId: 1 }, lines: [{ name: 'x', quantity: 1, unitPrice: 1 }] });
    assert.deepEqual(errs.map((e) => e.path).sort(), ['invoiceDate', 'kind']);
    const shipment = canonicalRegistry().get(canonicalId('shipment'));
    assert.deepEqual(shipment.validate({ externalId: 'S', salesOrderRef: 'O', status: 'shipped', trackingUrl: 'not a uri', lines: [{ sku: 'A', quantity: 1 }] }), [
      { path: 'trackingUrl', message: 'must match format "uri"' },
    ]);
  });

  it('compiles user schemas that $ref the bundled ones, even reusing a bundled $id', () => {
    const registry = canonicalRegistry();
    const mine = registry.compile({
      $id: 'https://example.com/schemas/wrapped-party',
      type: 'object',
      required: ['party', 'x-note'],
      properties: { party: { $ref: canonicalId('party') } },
    });
    assert.deepEqual(mine.validate({ party: { name: 'A' }, 'x-note': 1 }), []);
    assert.deepEqual(mine.validate({ party: {} }).map((e) => e.path).sort(), ['party.name', 'x-note']);
    const shadowing = registry.compile({ $id: canonicalId('party'), type: 'object', required: ['code'] });
    assert.deepEqual(shadowing.validate({}), [{ path: 'code', message: 'is required' }]);
    assert.deepEqual(registry.get(canonicalId('party')).validate({}), [{ path: 'name', message: 'is required' }], 'the bundled one is untouched');
  });
});
