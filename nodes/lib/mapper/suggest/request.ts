/**
 * The body of POST /canonical-mapper/suggest, checked and answered: `{sample, schema}` where `schema` names a
 * bundled canonical schema (`sales-order`, `sales-order/1.0.0` or its `$id`) or is `{odooModel, connection}`.
 */
import { ValidationError } from '../../errors';
import type { OdooClient } from '../../odoo/types';
import { CANONICAL_ID_PREFIX, canonicalDocuments, listCanonicalSchemas } from '../../canonical/schemas';
import { odooTarget } from './odoo-target';
import { suggestMapping, type SuggestResult } from './suggest';
import { targetFromJsonSchema, type Target } from './targets';

export interface SuggestDeps {
  /** The client of a deployed odoo-connection node, or undefined when there is none with that id. */
  clientFor(connectionId: string): Pick<OdooClient, 'call'> | undefined;
}

const MODEL = /^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)+$/;

export async function suggestFromRequest(body: unknown, deps: SuggestDeps): Promise<SuggestResult> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ValidationError('body: expected a JSON object {sample, schema}', { property: 'body' });
  const { sample, schema } = body as Record<string, unknown>;
  if (sample === null || typeof sample !== 'object') throw new ValidationError('sample: expected a JSON object or array (a payload to map)', { property: 'sample' });
  return suggestMapping(sample, await resolveTarget(schema, deps));
}

async function resolveTarget(schema: unknown, deps: SuggestDeps): Promise<Target> {
  if (typeof schema === 'string') return canonicalTarget(schema);
  if (schema !== null && typeof schema === 'object' && !Array.isArray(schema)) {
    const { odooModel, connection } = schema as Record<string, unknown>;
    if (typeof odooModel !== 'string' || !MODEL.test(odooModel)) {
      throw new ValidationError(`schema.odooModel: expected an Odoo model name such as 'sale.order', got ${JSON.stringify(odooModel)}`, { property: 'schema.odooModel' });
    }
    if (typeof connection !== 'string' || connection === '' || connection === '_ADD_') {
      throw new ValidationError('schema.connection: the id of a deployed odoo-connection node is required to read the model\'s fields', { property: 'schema.connection' });
    }
    const client = deps.clientFor(connection);
    if (!client) throw new ValidationError(`schema.connection: no deployed odoo-connection node with id '${connection}' (deploy it first)`, { property: 'schema.connection' });
    return odooTarget(client, odooModel);
  }
  throw new ValidationError("schema: expected a canonical schema name such as 'sales-order', or {odooModel, connection}", { property: 'schema' });
}

function canonicalTarget(name: string): Target {
  const infos = listCanonicalSchemas();
  const id = name.startsWith(CANONICAL_ID_PREFIX) ? name : name.includes('/') ? `${CANONICAL_ID_PREFIX}${name}` : undefined;
  const info = id ? infos.find((s) => s.id === id) : infos.filter((s) => s.name === name).sort((a, b) => compareVersions(b.version, a.version))[0];
  const doc = info ? canonicalDocuments().find((d) => d.$id === info.id) : undefined;
  if (!info || !doc) {
    throw new ValidationError(`schema: unknown canonical schema '${name}' (known: ${[...new Set(infos.map((s) => s.name))].join(', ')})`, { property: 'schema' });
  }
  return targetFromJsonSchema(doc, canonicalDocuments());
}

/** Newest version first among several of one schema. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

