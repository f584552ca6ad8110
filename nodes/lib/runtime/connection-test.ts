/**
 * Guards of the editor's "Test connection" endpoint: whoever may call it must not be able to send the deployed
 * connection's stored secrets to a server of their choosing, nor read arbitrary environment variables through
 * "from env" names or `${NAME}` references.
 */
import type { OdooConnectionCredentials, OdooConnectionSettings } from './connection';

/** Environment variable names the endpoint may read: by prefix, or listed one by one. */
export interface EnvAccess {
  prefixes: string[];
  names: string[];
}

export const DEFAULT_ENV_PREFIXES = ['ODOO_'];

const ENV_REFERENCE = /^\$\{(\S+)\}$/;
const SECRET_FIELDS = ['apiKey', 'password', 'apiKey2'] as const;

function list(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v !== '');
  return undefined;
}

/** From the runtime settings' `odooMiddleware: { envPrefixes, envNames }`; default prefix `ODOO_`. */
export function envAccessFrom(settings: unknown): EnvAccess {
  const own = typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>) : {};
  return { prefixes: list(own.envPrefixes) ?? DEFAULT_ENV_PREFIXES, names: list(own.envNames) ?? [] };
}

export function envAllowed(name: string, access: EnvAccess): boolean {
  return access.names.includes(name) || access.prefixes.some((p) => name.startsWith(p));
}

/** Every environment variable the typed settings would read. */
export function envNamesUsed(settings: OdooConnectionSettings, credentials: OdooConnectionCredentials): string[] {
  const names = new Set<string>();
  for (const value of [settings.url, settings.database, settings.login, ...SECRET_FIELDS.map((f) => credentials[f])]) {
    const match = typeof value === 'string' ? ENV_REFERENCE.exec(value.trim()) : null;
    if (match) names.add(match[1]);
  }
  for (const value of [settings.apiKeyEnv, settings.passwordEnv, settings.apiKey2Env]) {
    const name = value?.trim();
    if (name) names.add(name);
  }
  return [...names];
}

/** Normalised base URL, so `https://erp.example.com/` and `https://ERP.example.com` compare equal. */
export function sameServer(a: string, b: string): boolean {
  const norm = (u: string): string => {
    try {
      const parsed = new URL(u.trim());
      return `${parsed.protocol}//${parsed.host}${parsed.pathname.replace(/\/+$/, '')}`;
    } catch {
      return u.trim().replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

/** Why typed settings may not be tested: they name environment variables outside the allowed ones. */
export function envRefusal(envNames: string[], access: EnvAccess): string | undefined {
  const refused = envNames.filter((n) => !envAllowed(n, access));
  if (refused.length === 0) return undefined;
  const allowed = [...access.prefixes.map((p) => `${p}*`), ...access.names].join(', ') || 'none';
  return `the connection test may not read the environment variable${refused.length > 1 ? 's' : ''} ${refused.join(', ')} (allowed: ${allowed}; set odooMiddleware.envPrefixes or envNames in the Node-RED settings)`;
}

/** Why stored secrets may not go with this test: the typed URL is not the deployed connection's. */
export function storedSecretRefusal(usesStoredSecret: boolean, targetUrl: string, deployedUrl: string | undefined): string | undefined {
  if (!usesStoredSecret || (deployedUrl !== undefined && sameServer(targetUrl, deployedUrl))) return undefined;
  return `the stored API key or password of this connection is only sent to its deployed URL${deployedUrl ? ` ${deployedUrl}` : ''}; type the secret again to test ${targetUrl || 'another URL'}`;
}
