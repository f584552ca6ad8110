/**
 * Webhook signature schemes, verified over the raw request body. Pure: the clock is passed in.
 * Every comparison is constant-time (crypto.timingSafeEqual after a length check) and every configured
 * secret is tried, so a previous secret keeps working while a rotation is rolled out.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureScheme = 'none' | 'hmac' | 'stripe' | 'shopify' | 'github' | 'odoo';
export const SIGNATURE_SCHEMES: readonly SignatureScheme[] = ['none', 'hmac', 'stripe', 'shopify', 'github', 'odoo'];

export interface HmacSettings {
  algorithm: 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
  /** Header carrying the signature, e.g. "X-Signature". */
  header: string;
  /** Text before the digest in the header, e.g. "sha256="; empty for none. */
  prefix: string;
}

export interface SignatureConfig {
  scheme: SignatureScheme;
  /** Current secret first, then the previous one during a rotation; blanks are ignored. */
  secrets: string[];
  hmac?: HmacSettings;
  /** Stripe timestamp tolerance in seconds (default 300); 0 disables the check. */
  toleranceSec?: number;
}

export type Headers = Record<string, string | string[] | undefined>;

export type SignatureFailure = 'WEBHOOK_SIGNATURE_MISSING' | 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE' | 'WEBHOOK_SECRET_MISSING';

export type VerifyResult =
  | { ok: true; verified: boolean; secretIndex?: number }
  | { ok: false; code: SignatureFailure; message: string };

export const DEFAULT_HMAC: HmacSettings = { algorithm: 'sha256', encoding: 'hex', header: 'X-Signature', prefix: '' };
export const DEFAULT_STRIPE_TOLERANCE_SEC = 300;

/** Node's http module lower-cases header names; a repeated header keeps its first value. */
function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function hmac(algorithm: 'sha256' | 'sha512', secret: string, data: Buffer | string): Buffer {
  return createHmac(algorithm, secret).update(data).digest();
}

/** Constant-time equality of two byte strings; unequal lengths are unequal without comparing. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

function decode(value: string, encoding: 'hex' | 'base64'): Buffer | undefined {
  const trimmed = value.trim();
  if (encoding === 'hex') return /^(?:[0-9a-fA-F]{2})+$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : undefined;
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, 'base64') : undefined;
}

const missing = (name: string): VerifyResult => ({ ok: false, code: 'WEBHOOK_SIGNATURE_MISSING', message: `missing signature header ${name}` });
const invalid = (detail: string): VerifyResult => ({ ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', message: `signature does not match: ${detail}` });

/** Tries every secret against every candidate digest; the index says which secret matched. */
function matchAny(secrets: string[], candidates: Buffer[], digest: (secret: string) => Buffer): number {
  for (let i = 0; i < secrets.length; i++) {
    const expected = digest(secrets[i]);
    for (const candidate of candidates) if (safeEqual(candidate, expected)) return i;
  }
  return -1;
}

function verifyEncoded(
  secrets: string[],
  headerName: string,
  raw: string | undefined,
  prefix: string,
  encoding: 'hex' | 'base64',
  digest: (secret: string) => Buffer,
): VerifyResult {
  if (raw === undefined || raw.trim() === '') return missing(headerName);
  const value = raw.trim();
  if (prefix && !value.startsWith(prefix)) return invalid(`${headerName} must start with "${prefix}"`);
  const decoded = decode(value.slice(prefix.length), encoding);
  if (!decoded) return invalid(`${headerName} is not ${encoding}`);
  const index = matchAny(secrets, [decoded], digest);
  return index < 0 ? invalid(`${headerName} was not made with the configured secret over this body`) : { ok: true, verified: true, secretIndex: index };
}

/** Stripe-Signature: "t=<unix seconds>,v1=<hex>[,v1=<hex>...][,v0=...]"; signed payload "<t>.<body>". */
function verifyStripe(secrets: string[], headers: Headers, body: Buffer, nowMs: number, toleranceSec: number): VerifyResult {
  const raw = header(headers, 'stripe-signature');
  if (raw === undefined || raw.trim() === '') return missing('Stripe-Signature');
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamp = value;
    else if (key === 'v1') {
      const decoded = decode(value, 'hex');
      if (decoded) signatures.push(decoded);
    }
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return invalid('Stripe-Signature has no numeric t= timestamp');
  if (signatures.length === 0) return invalid('Stripe-Signature has no v1= signature');
  const signedPrefix = Buffer.from(`${timestamp}.`);
  const index = matchAny(secrets, signatures, (secret) => hmac('sha256', secret, Buffer.concat([signedPrefix, body])));
  if (index < 0) return invalid('no v1 signature was made with the configured secret over this body');
  // Checked after the signature so an attacker cannot learn the tolerance window by probing with junk.
  const ageSec = Math.abs(nowMs / 1000 - Number(timestamp));
  if (toleranceSec > 0 && ageSec > toleranceSec) {
    return { ok: false, code: 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE', message: `Stripe-Signature timestamp is ${Math.round(ageSec)} s away from now (tolerance ${toleranceSec} s)` };
  }
  return { ok: true, verified: true, secretIndex: index };
}

/**
 * Odoo's webhooks carry no signature: the secret is a token in the URL. Digests of both sides are compared, so
 * neither the token's length nor its prefix leaks through timing.
 */
function verifyToken(secrets: string[], token: string | undefined): VerifyResult {
  if (token === undefined || token === '') {
    return { ok: false, code: 'WEBHOOK_SIGNATURE_MISSING', message: 'missing token in the URL (?token=<secret> or <path>/<secret>)' };
  }
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
  const index = matchAny(secrets, [digest(token)], digest);
  return index < 0 ? invalid('the URL token is not the configured secret') : { ok: true, verified: true, secretIndex: index };
}

/** `urlToken`: the secret presented in the request URL (scheme odoo). */
export function verifySignature(config: SignatureConfig, headers: Headers, body: Buffer, nowMs: number, urlToken?: string): VerifyResult {
  if (config.scheme === 'none') return { ok: true, verified: false };
  const secrets = config.secrets.filter((s) => typeof s === 'string' && s !== '');
  if (secrets.length === 0) return { ok: false, code: 'WEBHOOK_SECRET_MISSING', message: `scheme ${config.scheme} needs a secret and none is configured` };
  switch (config.scheme) {
    case 'hmac': {
      const h = config.hmac ?? DEFAULT_HMAC;
      return verifyEncoded(secrets, h.header, header(headers, h.header), h.prefix, h.encoding, (s) => hmac(h.algorithm, s, body));
    }
    case 'github':
      return verifyEncoded(secrets, 'X-Hub-Signature-256', header(headers, 'x-hub-signature-256'), 'sha256=', 'hex', (s) => hmac('sha256', s, body));
    case 'shopify':
      return verifyEncoded(secrets, 'X-Shopify-Hmac-Sha256', header(headers, 'x-shopify-hmac-sha256'), '', 'base64', (s) => hmac('sha256', s, body));
    case 'odoo':
      return verifyToken(secrets, urlToken);
    case 'stripe':
      return verifyStripe(secrets, headers, body, nowMs, config.toleranceSec ?? DEFAULT_STRIPE_TOLERANCE_SEC);
    default:
      return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', message: `unknown signature scheme ${String(config.scheme)}` };
  }
}

/** What a sender computes: used by tests, examples and anyone writing a client. */
export function signStripe(secret: string, body: Buffer | string, timestampSec: number): string {
  const digest = hmac('sha256', secret, Buffer.concat([Buffer.from(`${timestampSec}.`), Buffer.from(body)])).toString('hex');
  return `t=${timestampSec},v1=${digest}`;
}
