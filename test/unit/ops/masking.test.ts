import { strict as assert } from 'node:assert';
import { Masker, MASKED, maskerFrom } from '../../../nodes/lib/ops/masking';

describe('PII masker', () => {
  const masker = new Masker({ paths: ['payload.order.note'] });

  it('masks e-mail addresses, card numbers and IBANs inside text', () => {
    assert.equal(masker.maskText('duplicate e-mail jane.doe+shop@example.co.uk for partner 42'), 'duplicate e-mail [email] for partner 42');
    assert.equal(masker.maskText('card 4111 1111 1111 1111 declined'), 'card [card] declined');
    assert.equal(masker.maskText('card 4111-1111-1111-1111'), 'card [card]');
    assert.equal(masker.maskText('pay to DE89 3704 0044 0532 0130 00 today'), 'pay to [iban] today');
    assert.equal(masker.maskText('GB82WEST12345698765432'), '[iban]');
  });

  it('leaves order numbers, epoch times, ids and look-alikes that fail their checksum', () => {
    // The UUID holds 0536746184116938, which passes Luhn: a dead letter with this id could not be replayed from the list.
    for (const text of ['order S00042', 'at 1764582000000', 'ids [1, 2, 3]', 'card 4111 1111 1111 1112', 'DE00 3704 0044 0532 0130 00', 'sale.order(12,)', 'f7f05367-4618-4116-938e-ccaebde8e0f8', 'ref_4111111111111111']) {
      assert.equal(masker.maskText(text), text);
    }
  });

  it('masks listed field names anywhere and listed paths, in a copy', () => {
    const msg = {
      payload: {
        customer: { name: 'Jane', email: 'jane@example.com', Phone: '+32 470 12 34 56', street: 'Main St 1', vat: 'BE0123456789' },
        lines: [{ note: 'call jane@example.com', qty: 2 }],
        order: { note: 'leave at the back door', ref: 'S1' },
        bank: { iban: 'DE89370400440532013000', empty: '' },
      },
      topic: 'orders',
    };
    const shown = masker.maskValue(msg);
    assert.deepEqual(shown, {
      payload: {
        customer: { name: 'Jane', email: MASKED, Phone: MASKED, street: MASKED, vat: MASKED },
        lines: [{ note: 'call [email]', qty: 2 }],
        order: { note: MASKED, ref: 'S1' },
        bank: { iban: MASKED, empty: '' },
      },
      topic: 'orders',
    });
    assert.equal(msg.payload.customer.email, 'jane@example.com', 'the original is untouched');
  });

  it('custom lists replace the defaults; masking can be switched off', () => {
    const custom = new Masker({ fields: ['secret_note'], patterns: ['card'] });
    assert.deepEqual(custom.maskValue({ email: 'a@b.io', secret_note: 'x' }), { email: 'a@b.io', secret_note: MASKED });
    const off = maskerFrom(false);
    assert.equal(off.maskText('a@b.io'), 'a@b.io');
    assert.deepEqual(off.maskValue({ email: 'a@b.io' }), { email: 'a@b.io' });
    assert.equal(maskerFrom(undefined).maskText('a@b.io'), '[email]');
  });
});
