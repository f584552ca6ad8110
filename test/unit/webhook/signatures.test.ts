import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { safeEqual, signStripe, SignatureConfig, verifySignature, VerifyResult } from '../../../nodes/lib/webhook/signatures';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOW_SEC = Math.floor(NOW / 1000);
const SECRET = 'whsec_current';
const OLD = 'whsec_previous';
const body = Buffer.from('{"id":"evt_1","amount":42}');
const tampered = Buffer.from('{"id":"evt_1","amount":4200}');

const hex = (alg: string, secret: string, data: Buffer | string) => createHmac(alg, secret).update(data).digest('hex');
const b64 = (alg: string, secret: string, data: Buffer | string) => createHmac(alg, secret).update(data).digest('base64');

function expectFailure(result: VerifyResult, code: string): void {
  assert.equal(result.ok, false, 'expected a rejection');
  if (!result.ok) assert.equal(result.code, code);
}

function expectOk(result: VerifyResult, secretIndex = 0): void {
  assert.equal(result.ok, true, JSON.stringify(result));
  if (result.ok) {
    assert.equal(result.verified, true);
    assert.equal(result.secretIndex, secretIndex);
  }
}

describe('webhook signatures', () => {
  describe('github', () => {
    const config: SignatureConfig = { scheme: 'github', secrets: [SECRET] };
    const sign = (secret: string, data: Buffer) => ({ 'x-hub-signature-256': `sha256=${hex('sha256', secret, data)}` });

    it('matches the vector published in the GitHub docs', () => {
      const docs = Buffer.from('Hello, World!');
      const headers = { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' };
      expectOk(verifySignature({ scheme: 'github', secrets: ["It's a Secret to Everybody"] }, headers, docs, NOW));
    });
    it('accepts a valid signature', () => expectOk(verifySignature(config, sign(SECRET, body), body, NOW)));
    it('rejects a tampered body', () => expectFailure(verifySignature(config, sign(SECRET, body), tampered, NOW), 'WEBHOOK_SIGNATURE_INVALID'));
    it('rejects a wrong secret', () => expectFailure(verifySignature(config, sign('nope', body), body, NOW), 'WEBHOOK_SIGNATURE_INVALID'));
    it('rejects a missing header', () => expectFailure(verifySignature(config, {}, body, NOW), 'WEBHOOK_SIGNATURE_MISSING'));
    it('rejects a digest without the sha256= prefix', () => {
      expectFailure(verifySignature(config, { 'x-hub-signature-256': hex('sha256', SECRET, body) }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
    });
    it('accepts the previous secret during a rotation, and only while configured', () => {
      expectOk(verifySignature({ scheme: 'github', secrets: [SECRET, OLD] }, sign(OLD, body), body, NOW), 1);
      expectFailure(verifySignature(config, sign(OLD, body), body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
    });
    it('rejects a truncated digest (length check before timingSafeEqual)', () => {
      const short = { 'x-hub-signature-256': `sha256=${hex('sha256', SECRET, body).slice(0, 32)}` };
      expectFailure(verifySignature(config, short, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
    });
  });

  describe('shopify', () => {
    const config: SignatureConfig = { scheme: 'shopify', secrets: [SECRET, OLD] };
    it('accepts a valid base64 signature', () => expectOk(verifySignature(config, { 'x-shopify-hmac-sha256': b64('sha256', SECRET, body) }, body, NOW)));
    it('accepts the rotated secret', () => expectOk(verifySignature(config, { 'x-shopify-hmac-sha256': b64('sha256', OLD, body) }, body, NOW), 1));
    it('rejects a tampered body', () => expectFailure(verifySignature(config, { 'x-shopify-hmac-sha256': b64('sha256', SECRET, body) }, tampered, NOW), 'WEBHOOK_SIGNATURE_INVALID'));
    it('rejects a wrong secret', () => expectFailure(verifySignature(config, { 'x-shopify-hmac-sha256': b64('sha256', 'x', body) }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID'));
    it('rejects a hex digest where base64 is expected', () => expectFailure(verifySignature(config, { 'x-shopify-hmac-sha256': hex('sha256', SECRET, body) }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID'));
    it('rejects a missing header', () => expectFailure(verifySignature(config, {}, body, NOW), 'WEBHOOK_SIGNATURE_MISSING'));
  });

  describe('stripe', () => {
    const config: SignatureConfig = { scheme: 'stripe', secrets: [SECRET, OLD] };
    it('accepts a valid signature computed over "<t>.<body>"', () => {
      const header = `t=${NOW_SEC},v1=${hex('sha256', SECRET, `${NOW_SEC}.${body.toString()}`)}`;
      assert.equal(signStripe(SECRET, body, NOW_SEC), header);
      expectOk(verifySignature(config, { 'stripe-signature': header }, body, NOW));
    });
    it('accepts any of several v1 signatures and ignores v0', () => {
      const good = hex('sha256', OLD, `${NOW_SEC}.${body.toString()}`);
      const header = `t=${NOW_SEC},v1=${'ab'.repeat(32)},v0=${'cd'.repeat(32)},v1=${good}`;
      expectOk(verifySignature(config, { 'stripe-signature': header }, body, NOW), 1);
    });
    it('rejects a tampered body', () => expectFailure(verifySignature(config, { 'stripe-signature': signStripe(SECRET, body, NOW_SEC) }, tampered, NOW), 'WEBHOOK_SIGNATURE_INVALID'));
    it('rejects a wrong secret', () => expectFailure(verifySignature(config, { 'stripe-signature': signStripe('whsec_other', body, NOW_SEC) }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID'));
    it('rejects a timestamp older than the tolerance, accepts one just inside it', () => {
      expectFailure(verifySignature(config, { 'stripe-signature': signStripe(SECRET, body, NOW_SEC - 301) }, body, NOW), 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
      expectOk(verifySignature(config, { 'stripe-signature': signStripe(SECRET, body, NOW_SEC - 299) }, body, NOW));
      expectOk(verifySignature({ ...config, toleranceSec: 0 }, { 'stripe-signature': signStripe(SECRET, body, NOW_SEC - 86_400) }, body, NOW));
    });
    it('rejects a timestamp that was re-signed onto another one (t is part of the signed payload)', () => {
      const sig = signStripe(SECRET, body, NOW_SEC - 1000).split(',')[1];
      expectFailure(verifySignature(config, { 'stripe-signature': `t=${NOW_SEC},${sig}` }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
    });
    it('rejects a header without t= or without v1=', () => {
      expectFailure(verifySignature(config, { 'stripe-signature': `v1=${'ab'.repeat(32)}` }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
      expectFailure(verifySignature(config, { 'stripe-signature': `t=${NOW_SEC}` }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
    });
    it('rejects a missing header', () => expectFailure(verifySignature(config, {}, body, NOW), 'WEBHOOK_SIGNATURE_MISSING'));
  });

  describe('generic hmac', () => {
    it('sha256 hex with a prefix in a custom header', () => {
      const config: SignatureConfig = { scheme: 'hmac', secrets: [SECRET], hmac: { algorithm: 'sha256', encoding: 'hex', header: 'X-Odoo-Signature', prefix: 'sha256=' } };
      expectOk(verifySignature(config, { 'x-odoo-signature': `sha256=${hex('sha256', SECRET, body)}` }, body, NOW));
      expectFailure(verifySignature(config, { 'x-odoo-signature': `sha256=${hex('sha256', SECRET, body)}` }, tampered, NOW), 'WEBHOOK_SIGNATURE_INVALID');
      expectFailure(verifySignature(config, { 'x-odoo-signature': hex('sha256', SECRET, body) }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
      expectFailure(verifySignature(config, { 'x-signature': `sha256=${hex('sha256', SECRET, body)}` }, body, NOW), 'WEBHOOK_SIGNATURE_MISSING');
    });
    it('sha512 base64 without a prefix, with a rotated secret', () => {
      const config: SignatureConfig = { scheme: 'hmac', secrets: [SECRET, OLD], hmac: { algorithm: 'sha512', encoding: 'base64', header: 'X-Signature', prefix: '' } };
      expectOk(verifySignature(config, { 'x-signature': b64('sha512', SECRET, body) }, body, NOW));
      expectOk(verifySignature(config, { 'x-signature': b64('sha512', OLD, body) }, body, NOW), 1);
      expectFailure(verifySignature(config, { 'x-signature': b64('sha256', SECRET, body) }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
      expectFailure(verifySignature(config, { 'x-signature': b64('sha512', 'wrong', body) }, body, NOW), 'WEBHOOK_SIGNATURE_INVALID');
    });
  });

  describe('none and configuration', () => {
    it('none accepts anything and says it did not verify', () => {
      const result = verifySignature({ scheme: 'none', secrets: [] }, {}, body, NOW);
      assert.deepEqual(result, { ok: true, verified: false });
    });
    it('a signing scheme without any secret is a configuration error, not a pass', () => {
      expectFailure(verifySignature({ scheme: 'github', secrets: ['', ''] }, { 'x-hub-signature-256': 'sha256=00' }, body, NOW), 'WEBHOOK_SECRET_MISSING');
    });
    it('safeEqual is false for different lengths and for empty buffers', () => {
      assert.equal(safeEqual(Buffer.from('ab'), Buffer.from('abc')), false);
      assert.equal(safeEqual(Buffer.alloc(0), Buffer.alloc(0)), false);
      assert.equal(safeEqual(Buffer.from('abc'), Buffer.from('abc')), true);
    });
  });
  describe('odoo (token in the URL)', () => {
    const config: SignatureConfig = { scheme: 'odoo', secrets: [SECRET, OLD] };
    it('accepts the current token', () => expectOk(verifySignature(config, {}, body, NOW, SECRET)));
    it('accepts the previous token during a rotation', () => expectOk(verifySignature(config, {}, body, NOW, OLD), 1));
    it('rejects another token, a prefix of it and a longer one', () => {
      expectFailure(verifySignature(config, {}, body, NOW, 'nope'), 'WEBHOOK_SIGNATURE_INVALID');
      expectFailure(verifySignature(config, {}, body, NOW, SECRET.slice(0, -1)), 'WEBHOOK_SIGNATURE_INVALID');
      expectFailure(verifySignature(config, {}, body, NOW, `${SECRET}x`), 'WEBHOOK_SIGNATURE_INVALID');
    });
    it('says the token is missing from the URL', () => {
      const result = verifySignature(config, {}, body, NOW);
      expectFailure(result, 'WEBHOOK_SIGNATURE_MISSING');
      if (!result.ok) assert.match(result.message, /token in the URL/);
    });
    it('needs a configured secret', () => expectFailure(verifySignature({ scheme: 'odoo', secrets: [''] }, {}, body, NOW, 'x'), 'WEBHOOK_SECRET_MISSING'));
  });
});
