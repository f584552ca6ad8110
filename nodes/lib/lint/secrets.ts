/**
 * What a secret looks like in a flow file. Pure pattern matching; a finding names where the value is and what
 * it resembles, never the value itself (lint output ends up in CI logs).
 */

/** Property names that hold a credential when their value is a literal. */
const CREDENTIAL_NAME = /pass(?:word|wd|phrase)?\d*$|^pwd$|secret|token|api[-_]?key|private[-_]?key|access[-_]?key|credential|authorization|bearer|signing[-_]?key/i;
/** Names that sit beside a credential without being one: an env variable's name, a header name, a setting. */
const DESCRIBES_A_CREDENTIAL = /(?:env|type|header|name|prefix|field|path|url|ttl|days|algorithm|encoding|scheme|mode|property|timeout|expiry|source|length|tolerance)$/i;
/** `${VAR}`, `$env(...)` and `env.get(...)` point at the environment instead of holding a value. */
const ENV_REFERENCE = /^\s*(?:\$\{[^}]+\}|\$env\(|env\.get\()/;

export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !DESCRIBES_A_CREDENTIAL.test(name);
}

/** A literal that would be a secret if it sat in a credential-like property. */
export function isLiteralSecretValue(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length >= 4 && !ENV_REFERENCE.test(value);
}

interface Shape {
  what: string;
  pattern: RegExp;
  accept?: (match: RegExpExecArray) => boolean;
}

/** Shapes recognised in any string of a flow file: comments and info texts included. */
const SHAPES: readonly Shape[] = [
  { what: 'a private key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
  { what: 'a bearer token', pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{20,}=*/ },
  { what: 'HTTP basic credentials', pattern: /\bBasic\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/, accept: (m) => decodesToUserPassword(m[1]) },
  { what: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  { what: 'an AWS access key', pattern: /\bAKIA[0-9A-Z]{16}\b/ },
  { what: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/ },
  { what: 'a Stripe key or webhook secret', pattern: /\b(?:[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{20,})/ },
  { what: 'a Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  { what: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/ },
  { what: 'a Shopify access token', pattern: /\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}/ },
  { what: 'a password in a URL', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"`]*:([^\s/@'"`]+)@/i, accept: (m) => !ENV_REFERENCE.test(m[1]) && !m[1].startsWith('$') },
];

function decodesToUserPassword(b64: string): boolean {
  const text = base64Decode(b64);
  return text !== undefined && /^[\x20-\x7e]+:[\x20-\x7e]+$/.test(text);
}

/** atob is in browsers, workers and Node >= 16, so this runs in the editor's lint worker too. */
function base64Decode(b64: string): string | undefined {
  try {
    return atob(b64);
  } catch {
    return undefined;
  }
}

export interface SecretHit {
  what: string;
  /** Offset in the scanned text, for a line number. */
  index: number;
}

export function recognisedSecret(text: string): SecretHit | undefined {
  for (const shape of SHAPES) {
    const match = shape.pattern.exec(text);
    if (match && (!shape.accept || shape.accept(match))) return { what: shape.what, index: match.index };
  }
  return undefined;
}

/** A key-like random string: 32+ hex digits, or 40+ base64 characters mixing cases and digits. */
export function looksRandomKey(value: string): string | undefined {
  const v = value.trim();
  if (/^[0-9a-fA-F]{32,}$/.test(v)) return `a ${v.length}-character hex string`;
  if (/^[A-Za-z0-9+/_-]{40,}={0,2}$/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v) && /[0-9]/.test(v)) return `a ${v.length}-character base64 string`;
  return undefined;
}

const STRING_LITERAL = /(['"`])((?:\\.|(?!\1)[^\\\n])*)\1/g;
/** `password = "..."`, `apiKey: '...'`, `"Authorization": "..."` with a literal on the right. */
const ASSIGNED_CREDENTIAL = /([A-Za-z_$][\w$-]*)['"]?\s*[:=]\s*(['"`])((?:\\.|(?!\2)[^\\\n])*)\2/g;

/** `'Bearer ' + token` builds a header from a variable: the literal is only the scheme. */
const AUTH_SCHEME_ONLY = /^\s*(?:bearer|basic|token|digest)\s*$/i;

/** Secrets in code (function, template): recognised shapes, literals assigned to credential names, random keys. */
export function secretsInCode(code: string): SecretHit[] {
  const hits: SecretHit[] = [];
  const shape = recognisedSecret(code);
  if (shape) hits.push(shape);
  for (const m of code.matchAll(ASSIGNED_CREDENTIAL)) {
    const [, name, , value] = m;
    if (isCredentialName(name) && isLiteralSecretValue(value) && !value.includes('${') && !AUTH_SCHEME_ONLY.test(value)) {
      hits.push({ what: `a literal assigned to "${name}"`, index: m.index ?? 0 });
    }
  }
  for (const m of code.matchAll(STRING_LITERAL)) {
    const random = looksRandomKey(m[2]);
    if (random) hits.push({ what: random, index: m.index ?? 0 });
  }
  const byLine = new Map<number, SecretHit>();
  for (const hit of hits) {
    const line = lineOf(code, hit.index);
    if (!byLine.has(line)) byLine.set(line, hit);
  }
  return [...byLine.values()].sort((a, b) => a.index - b.index);
}

export function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
