/** The benchmark sections, loaded lazily so each child process only loads what it measures. */
export type Section = () => Promise<Record<string, number>>;

export const SECTIONS: Record<string, Section> = {
  'odoo-create': async () => (await import('./odoo-create')).benchCreate(),
  'odoo-page-read': async () => (await import('./odoo-page-read')).benchPageRead(),
  'odoo-overhead': async () => (await import('./odoo-overhead')).benchOverhead(),
  guard: async () => (await import('./guard')).benchGuard(),
  mapper: async () => (await import('./mapper')).benchMapper(),
  tracing: async () => (await import('./tracing')).benchTracing(),
};
