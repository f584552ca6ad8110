import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { Request, Response } from 'express';
import { MiddlewareError, ValidationError, toMiddlewareError } from './lib/errors';
import { failed, ok } from './lib/status';
import type { CallOptions, OdooClient } from './lib/odoo/types';
import type { MappingRule } from './lib/mapper/types';
import { MappingCompileError } from './lib/mapper/compile';
import { suggestFromRequest } from './lib/mapper/suggest/request';
import {
  PRESETS,
  PRESET_SAMPLES,
  findPreset,
  createMapperEngine,
  createOdooResolver,
  listCanonicalSchemas,
  type EngineConfig,
  type EngineResult,
  type MapperEngine,
  type OdooResolver,
  type SchemaChoice,
} from './lib/canonical';

interface CanonicalMapperDef extends NodeDef {
  mode: 'preset' | 'rules';
  preset: string;
  rules: MappingRule[] | string;
  schemaType: SchemaChoice['type'];
  schema: string;
  connection: string;
  defaultCurrency: string;
  createPartners: boolean;
  /** Seconds a resolved partner/product id is cached. */
  cacheTtl: number | string;
}

type MapperMessage = NodeMessageInFlow & { source?: unknown; canonical?: unknown; error?: unknown };

/** The odoo-connection config node, used structurally: only its `client` matters here. */
interface ConnectionLike {
  client?: OdooClient;
}

const STATUS_INTERVAL_MS = 250;

/** One set of admin routes per admin app, however many times the module function runs. */
const mountedApps = new WeakSet<object>();

const isThenable = (v: unknown): v is Promise<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

function parseRules(rules: unknown): MappingRule[] {
  if (Array.isArray(rules)) return rules as MappingRule[];
  if (typeof rules === 'string' && rules.trim() !== '') {
    try {
      return JSON.parse(rules) as MappingRule[];
    } catch (err) {
      throw new ValidationError(`rules: expected a JSON array of rules: ${(err as Error).message}`, { property: 'rules' });
    }
  }
  return [];
}

function schemaChoice(type: string | undefined, value: string | undefined): SchemaChoice {
  switch (type) {
    case 'none':
      return { type: 'none' };
    case 'file':
      return { type: 'file', value: value ?? '' };
    case 'inline':
      return { type: 'inline', value: value ?? '' };
    default:
      return { type: 'canonical', value: value || undefined };
  }
}

/** The red-ring text of a node that cannot work: what is wrong, in a few words. */
function setupStatus(error: MiddlewareError): string {
  if (error instanceof MappingCompileError) return 'invalid mapping';
  const property = (error.cause as { property?: unknown }).property;
  if (property === 'connection') return 'needs an Odoo connection';
  if (property === 'schema') return 'invalid schema';
  if (property === 'preset') return 'unknown preset';
  return 'invalid configuration';
}

export = (RED: NodeAPI): void => {
  const userDir = (RED.settings as unknown as { userDir?: string }).userDir;

  function resolverFor(connectionId: string | undefined, options: { createPartners?: boolean; ttlSeconds?: number }): OdooResolver | undefined {
    if (!connectionId) return undefined;
    const connection = RED.nodes.getNode(connectionId) as (Node & ConnectionLike) | null;
    if (!connection) throw new ValidationError(`connection: no odoo-connection node with id '${connectionId}'`, { property: 'connection' });
    // The connection may create its client after this node; look it up per call.
    const client = {
      call<T>(model: string, method: string, args?: Record<string, unknown>, callOptions?: CallOptions): Promise<T> {
        if (!connection.client) return Promise.reject(new ValidationError('connection: the odoo-connection node has no client', { property: 'connection' }));
        return connection.client.call<T>(model, method, args, callOptions);
      },
    };
    const ttl = Number(options.ttlSeconds);
    return createOdooResolver(client, {
      createMissingPartners: options.createPartners === true,
      ttlMs: Number.isFinite(ttl) && ttl >= 0 ? ttl * 1000 : undefined,
    });
  }

  /**
   * The preview runs with the connection the dialog names when it is deployed. A preset that works without Odoo
   * previews without one (the dialog's "none" or "add new" choice, or a connection not deployed yet).
   */
  function previewResolver(connection: unknown, presetId: string | undefined): OdooResolver | undefined {
    const id = typeof connection === 'string' && connection !== '_ADD_' ? connection : undefined;
    const preset = presetId ? findPreset(presetId) : undefined;
    if (id && RED.nodes.getNode(id)) return resolverFor(id, {});
    if (preset?.odoo === 'required') {
      throw new ValidationError(
        id
          ? `preset '${preset.id}' needs an Odoo connection: deploy the odoo-connection '${id}' first, the preview uses the deployed one`
          : `preset '${preset.id}' needs an Odoo connection to resolve partners and products: choose one (and deploy it) to preview`,
        { property: 'connection' },
      );
    }
    return undefined;
  }

  if (!mountedApps.has(RED.httpAdmin)) {
    mountedApps.add(RED.httpAdmin);

    RED.httpAdmin.get('/canonical-mapper/catalog', RED.auth.needsPermission('canonical-mapper.read'), (_req: Request, res: Response) => {
      res.json({
        schemas: listCanonicalSchemas().map(({ id, name, version, title }) => ({ id, name, version, title })),
        presets: PRESETS.map(({ id, title, odoo, inputSchema, outputSchema, model }) => ({ id, title, odoo, inputSchema, outputSchema, model, sample: PRESET_SAMPLES[id] })),
      });
    });

    RED.httpAdmin.post('/canonical-mapper/preview', RED.auth.needsPermission('canonical-mapper.write'), (req: Request, res: Response) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      let engine: MapperEngine;
      try {
        const schema = body.schema;
        const config: EngineConfig = {
          mode: body.preset ? 'preset' : 'rules',
          preset: typeof body.preset === 'string' ? body.preset : undefined,
          rules: body.preset ? undefined : parseRules(body.rules),
          schema: typeof schema === 'object' && schema !== null ? (schema as SchemaChoice) : schemaChoice(schema ? 'canonical' : 'none', schema as string | undefined),
          baseDir: userDir,
          defaultCurrency: typeof body.defaultCurrency === 'string' ? body.defaultCurrency : undefined,
        };
        const resolver = previewResolver(body.connection, typeof body.preset === 'string' ? body.preset : undefined);
        engine = createMapperEngine(config, { resolver });
      } catch (err) {
        const e = toMiddlewareError(err);
        res.status(400).json({ error: { code: e.code, message: e.message, problems: e instanceof MappingCompileError ? e.problems : undefined } });
        return;
      }
      Promise.resolve()
        .then(() => engine.run(body.sample))
        .then(
          (result: EngineResult) => {
            if (result.ok) res.json({ output: result.output, errors: [], canonical: result.canonical });
            else res.json({ output: result.output ?? null, errors: result.errors, stage: result.stage });
          },
          (err: unknown) => {
            const e = toMiddlewareError(err);
            res.status(502).json({ error: { code: e.code, message: e.message } });
          },
        );
    });

    // Proposes rules from a sample; an Odoo target reads fields_get through a deployed connection.
    RED.httpAdmin.post('/canonical-mapper/suggest', RED.auth.needsPermission('canonical-mapper.write'), (req: Request, res: Response) => {
      const clientFor = (id: string): OdooClient | undefined => (RED.nodes.getNode(id) as (Node & ConnectionLike) | null)?.client;
      suggestFromRequest(req.body, { clientFor }).then(
        (result) => res.json(result),
        (err: unknown) => {
          const e = toMiddlewareError(err);
          res.status(e instanceof ValidationError ? 400 : 502).json({ error: { code: e.code, message: e.message } });
        },
      );
    });
  }

  function CanonicalMapper(this: Node, def: CanonicalMapperDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let engine: MapperEngine | undefined;
    let setupError: MiddlewareError | undefined;
    try {
      engine = createMapperEngine(
        {
          mode: def.mode === 'rules' ? 'rules' : 'preset',
          preset: def.preset,
          rules: def.mode === 'rules' ? parseRules(def.rules) : undefined,
          schema: schemaChoice(def.schemaType, def.schema),
          baseDir: userDir,
          defaultCurrency: def.defaultCurrency,
        },
        { resolver: resolverFor(def.connection, { createPartners: def.createPartners, ttlSeconds: def.cacheTtl === '' ? undefined : Number(def.cacheTtl) }) },
      );
    } catch (err) {
      setupError = toMiddlewareError(err);
      node.error(setupError.message);
      node.status(failed(setupStatus(setupError)));
    }

    let mapped = 0;
    let invalid = 0;
    let statusTimer: NodeJS.Timeout | undefined;
    // Status is refreshed at most every 250 ms: a badge per message would flood the editor at high rates.
    const countSoon = (): void => {
      statusTimer ??= setTimeout(() => {
        statusTimer = undefined;
        node.status(ok(invalid > 0 ? `${mapped} mapped, ${invalid} invalid` : `${mapped} mapped`));
      }, STATUS_INTERVAL_MS);
    };

    node.on('input', (msg: MapperMessage, send, done) => {
      if (!engine) {
        done(setupError ?? new MiddlewareError('internal', 'canonical-mapper is not configured'));
        return;
      }
      const finish = (result: EngineResult): void => {
        if (result.ok) {
          msg.source = msg.payload;
          msg.payload = result.output;
          msg.canonical = result.canonical;
          mapped++;
          send([msg, null]);
        } else {
          msg.error = { kind: 'validation', stage: result.stage, errors: result.errors };
          invalid++;
          send([null, msg]);
        }
        countSoon();
        done();
      };
      let result: EngineResult | Promise<EngineResult>;
      try {
        result = engine.run(msg.payload);
      } catch (err) {
        done(toMiddlewareError(err));
        return;
      }
      if (isThenable(result)) result.then(finish, (err: unknown) => done(toMiddlewareError(err)));
      else finish(result);
    });

    node.on('close', (_removed: boolean, closed: () => void) => {
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = undefined;
      node.status({});
      closed();
    });
  }

  RED.nodes.registerType('canonical-mapper', CanonicalMapper);
};
