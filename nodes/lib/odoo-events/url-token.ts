/** Where Odoo's automation webhook carries webhook-in's secret: `?token=<secret>` or `<path>/<secret>`. */

export const ODOO_TOKEN_PARAM = 'token';

/** The request URL and query as the flow may see them: without the token. */
export function withoutUrlToken(originalUrl: string, query: Record<string, unknown>, tokenInPath: boolean): { url: string; query: Record<string, unknown> } {
  const { [ODOO_TOKEN_PARAM]: _token, ...rest } = query;
  const [pathname, search = ''] = originalUrl.split('?');
  const cleanPath = tokenInPath ? pathname.replace(/\/[^/]*\/?$/, '') : pathname;
  const params = new URLSearchParams(search);
  params.delete(ODOO_TOKEN_PARAM);
  const remaining = params.toString();
  return { url: remaining ? `${cleanPath}?${remaining}` : cleanPath, query: rest };
}

/** The URL Odoo's rule posts to: the node's public URL with the token as a query parameter. */
export function odooWebhookUrl(baseUrl: string, token: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set(ODOO_TOKEN_PARAM, token);
  return url.toString();
}
