/** The benchmark sections, loaded lazily so each child process only loads what it measures. */
export type Section = () => Promise<Record<string, number>>;

export const SECTIONS: Record<string, Section> = {
  'odoo-create': async () => (await import('./odoo-create')).benchCreate(),
  'odoo-page-read': async () => (await import('./odoo-page-read')).benchPageRead(),
  'odoo-overhead': async () => (await import('./odoo-overhead')).benchOverhead(),
  sandbox: async () => {
    const [creates, pages] = await (await import('../sandbox/bench')).benchSandbox();
    return { sandbox_creates_per_s: creates.perSecond, sandbox_paged_records_per_s: pages.perSecond };
  },
  guard: async () => (await import('./guard')).benchGuard(),
  delivery: async () => (await import('./delivery')).benchDelivery(),
  mapper: async () => (await import('./mapper')).benchMapper(),
  tracing: async () => (await import('./tracing')).benchTracing(),
  'tracing-shop': async () => (await import('./shop-flow')).benchShopTracing(),
  'metrics-shop': async () => (await import('./shop-flow')).benchShopMetrics(),
  'anomaly-shop': async () => (await import('./shop-flow')).benchShopAnomaly(),
  suggest: async () => (await import('./suggest')).benchSuggest(),
  bus: async () => (await import('./bus')).benchBus(),
  inbox: async () => (await import('./inbox')).benchInbox(),
  scaleout: async () => (await import('./scaleout')).benchScaleout(),
};
