/**
 * Request and response headers that carry credentials: never stored with a message (dead letters, retry schedule),
 * since whoever can read the store could replay them.
 */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie|set-cookie)$|signature|hmac|api[-_]?key|token|secret|password/i;

export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADER.test(name);
}
