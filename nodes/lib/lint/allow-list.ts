/**
 * odoo-connection's allow-list syntax: `model:method[,method...]` patterns separated by whitespace, newlines or
 * `;`, with `*` matching any run of characters in a model or method. An empty list allows everything; a pattern
 * without `:methods` allows every method of its model.
 */

export interface AllowPattern {
  model: RegExp;
  methods: RegExp[];
  text: string;
}

export function parseAllowList(text: unknown): AllowPattern[] {
  if (typeof text !== 'string') return [];
  return text
    .split(/[\s;]+/)
    .filter(Boolean)
    .map((entry) => {
      const [model, methods = '*'] = entry.split(':', 2);
      return { model: glob(model), methods: methods.split(',').filter(Boolean).map(glob), text: entry };
    });
}

export function allows(list: readonly AllowPattern[], model: string, method: string): boolean {
  return list.length === 0 || list.some((p) => p.model.test(model) && p.methods.some((m) => m.test(method)));
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** The only methods a read-only connection lets through. */
export const READ_METHODS: ReadonlySet<string> = new Set(['search_read', 'read', 'search', 'search_count', 'fields_get', 'name_search', 'read_group']);
