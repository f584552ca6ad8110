/**
 * The bundled canonical schemas, read from `schemas/canonical/<name>-<version>.json` at the package root (shipped
 * as is, not compiled). Ids follow `https://schemas.odoo-middleware.dev/canonical/<name>/<version>`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSchemaRegistry, type SchemaRegistry } from '../mapper/validate';

export const CANONICAL_ID_PREFIX = 'https://schemas.odoo-middleware.dev/canonical/';

export const canonicalId = (name: string, version = '1.0.0'): string => `${CANONICAL_ID_PREFIX}${name}/${version}`;

export interface CanonicalSchemaInfo {
  id: string;
  name: string;
  version: string;
  title: string;
  file: string;
}

/** Walks up from this file to the package root (works from `nodes/lib/canonical` and `dist/nodes/lib/canonical`). */
export function findSchemasDir(start = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'schemas', 'canonical');
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`schemas/canonical not found above ${start}`);
  }
}

let loaded: { infos: CanonicalSchemaInfo[]; documents: Array<Record<string, unknown>>; registry: SchemaRegistry } | undefined;

function load(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const dir = findSchemasDir();
  const documents: Array<Record<string, unknown>> = [];
  const infos: CanonicalSchemaInfo[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    const id = String(doc.$id);
    const [name, version] = id.slice(CANONICAL_ID_PREFIX.length).split('/');
    documents.push(doc);
    if (doc.type === 'object') infos.push({ id, name, version, title: String(doc.title ?? name), file: path.join(dir, file) });
  }
  loaded = { infos, documents, registry: createSchemaRegistry(documents) };
  return loaded;
}

/** The business-object schemas (not the shared definitions), for pickers and docs. */
export function listCanonicalSchemas(): CanonicalSchemaInfo[] {
  return load().infos.slice();
}

/** Every bundled schema document (shared definitions included), as read; callers must not change them. */
export function canonicalDocuments(): ReadonlyArray<Record<string, unknown>> {
  return load().documents;
}

/** One registry for the whole process: each bundled schema compiles once. */
export function canonicalRegistry(): SchemaRegistry {
  return load().registry;
}

/** Parses a schema's `$id` into name and version when it is a canonical one. */
export function describeSchemaId(id: string): { schema: string; version: string } {
  if (id.startsWith(CANONICAL_ID_PREFIX)) {
    const [name, version] = id.slice(CANONICAL_ID_PREFIX.length).split('/');
    return { schema: name, version: version ?? '' };
  }
  const m = /^(.*?)[/-]v?(\d+\.\d+\.\d+)$/.exec(id);
  return m ? { schema: m[1], version: m[2] } : { schema: id, version: '' };
}
