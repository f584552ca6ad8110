/**
 * The metrics endpoint: GET /odoo-middleware/metrics on the admin API (permission `odoo-middleware.read`) and, when
 * the settings ask for it, on the HTTP node root for a scraper that has no editor login.
 */
import type { MetricsRegistry } from './metrics';

export const METRICS_PATH = '/odoo-middleware/metrics';
export const OPS_READ_PERMISSION = 'odoo-middleware.read';
export const OPS_WRITE_PERMISSION = 'odoo-middleware.write';

export interface OpsRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
}

export interface OpsResponse {
  status(code: number): OpsResponse;
  set(name: string, value: string): OpsResponse;
  send(body: string): unknown;
  json(body: unknown): unknown;
}

export type OpsHandler = (req: OpsRequest, res: OpsResponse, next: (err?: unknown) => void) => void;

export interface OpsApp {
  get(path: string, ...handlers: OpsHandler[]): unknown;
  post(path: string, ...handlers: OpsHandler[]): unknown;
}

/** The settings file's `odooMiddleware` block, as far as operations read it. */
export interface OpsSettings {
  /** Also serve the metrics on the HTTP node root (httpNodeAuth applies, admin auth does not). */
  metricsOnHttpNode?: boolean;
}

export function metricsHandler(metrics: MetricsRegistry): OpsHandler {
  return (_req, res) => {
    metrics.metrics().then(
      (text) => res.status(200).set('Content-Type', metrics.contentType).send(text),
      (err: unknown) => res.status(500).json({ code: 'MW_METRICS', message: `metrics could not be collected: ${err instanceof Error ? err.message : String(err)}` }),
    );
  };
}

export function mountMetricsRoutes(admin: OpsApp, needsPermission: (permission: string) => OpsHandler, metrics: MetricsRegistry, httpNode?: OpsApp): void {
  admin.get(METRICS_PATH, needsPermission(OPS_READ_PERMISSION), metricsHandler(metrics));
  httpNode?.get(METRICS_PATH, metricsHandler(metrics));
}
