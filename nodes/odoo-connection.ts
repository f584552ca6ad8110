import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { MiddlewareError, toMiddlewareError } from './lib/errors';
import { createOdooClient, type OdooClientWithState } from './lib/odoo';
import type { CircuitState, KeyExpiry, OdooConnectionOptions } from './lib/odoo/types';
import {
  connectionOptions,
  environmentOf,
  type OdooConnectionCredentials,
  type OdooConnectionNode,
  type OdooConnectionSettings,
} from './lib/runtime/connection';
import { envAccessFrom, envNamesUsed, envRefusal, storedSecretRefusal } from './lib/runtime/connection-test';
import { editorCatalog } from './lib/runtime/editor-catalog';

interface OdooConnectionDef extends NodeDef, OdooConnectionSettings {}

interface DeployedConnection extends OdooConnectionNode {
  /** The resolved options the deployed client runs with (secrets included: never sent anywhere but its URL). */
  options: OdooConnectionOptions;
}

/** What the editor sends for a password field whose value it does not hold. */
const KEEP_SECRET = '__PWRD__';

export = (RED: NodeAPI): void => {
  const catalog = editorCatalog(RED);

  function OdooConnection(this: DeployedConnection, def: OdooConnectionDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    // Credentials already had `${NAME}` replaced by Node-RED; resolving again covers env set per flow.
    const lookup = (name: string) => envValue(RED, node, name);
    let options: OdooConnectionOptions;
    try {
      options = connectionOptions(def, this.credentials ?? {}, lookup);
    } catch (err) {
      // A malformed policy must not leave an open connection: every call fails with the reason.
      const message = err instanceof Error ? err.message : String(err);
      node.error(message);
      options = { ...connectionOptions({ ...def, allowRead: '', allowWrite: '', maxRecords: '' }, this.credentials ?? {}, lookup), configurationError: message };
    }
    this.options = options;
    this.environment = environmentOf(def);
    const client: OdooClientWithState = createOdooClient(options, { log: { debug: (text) => node.debug(text), warn: (text) => node.warn(text) } });
    this.client = client;
    this.onCircuitChange = (listener: (state: CircuitState) => void) => client.onCircuitChange(listener);
    this.keyExpiry = () => client.keyExpiry;
    this.onKeyExpiry = (listener: (expiry: KeyExpiry) => void) => client.onKeyExpiry(listener);
    this.on('close', (_removed: boolean, done: () => void) => {
      catalog.forget(node.id);
      client.close();
      done();
    });
  }

  RED.nodes.registerType('odoo-connection', OdooConnection as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { apiKey: { type: 'password' }, password: { type: 'password' }, apiKey2: { type: 'password' } },
  });

  // Tests the settings shown in the editor (saved or not); secrets the editor does not hold come from the deployed
  // node, and only for the deployed URL; typed settings read only the environment variables the settings allow.
  RED.httpAdmin.post('/odoo-connection/:id/test', RED.auth.needsPermission('odoo-connection.write'), (req: Request, res: Response) => {
    const id = String(req.params.id);
    const body = (req.body ?? {}) as OdooConnectionSettings & OdooConnectionCredentials;
    const deployed = RED.nodes.getNode(id) as DeployedConnection | null;
    let options: OdooConnectionOptions;
    try {
      options = body.url !== undefined || !deployed ? typedOptions(RED, body, deployed) : deployed.options;
    } catch (err) {
      const e = toMiddlewareError(err);
      res.status(e.kind === 'policy' ? 403 : 200).json({ error: { kind: e.kind, code: e.code, message: e.message } });
      return;
    }
    // A short-lived client: the deployed one keeps its cached protocol and circuit state untouched.
    const probe = createOdooClient({ ...options, circuit: false, policy: undefined, keyExpiryWarnDays: 0 });
    probe.test().then(
      (report) => {
        probe.close();
        res.json(report);
      },
      (err: unknown) => {
        probe.close();
        const e = toMiddlewareError(err);
        res.json({ error: { kind: e.kind, code: e.code, message: e.message } });
      },
    );
  });
};

/** The editor's typed settings as client options, refused (kind policy) when they would leak a secret. */
function typedOptions(RED: NodeAPI, body: OdooConnectionSettings & OdooConnectionCredentials, deployed: DeployedConnection | null): OdooConnectionOptions {
  const stored = (deployed ? RED.nodes.getCredentials(deployed.id) ?? {} : {}) as OdooConnectionCredentials;
  const reuse = (field: keyof OdooConnectionCredentials) => (body[field] === undefined || body[field] === KEEP_SECRET) && Boolean(stored[field]);
  const credentials: OdooConnectionCredentials = {};
  for (const field of ['apiKey', 'password', 'apiKey2'] as const) credentials[field] = reuse(field) ? stored[field] : body[field] === KEEP_SECRET ? undefined : body[field];
  const typed: OdooConnectionCredentials = { apiKey: body.apiKey, password: body.password, apiKey2: body.apiKey2 };
  const access = envAccessFrom((RED.settings as unknown as { odooMiddleware?: unknown }).odooMiddleware);
  const envProblem = envRefusal(envNamesUsed(body, typed), access);
  if (envProblem) throw new MiddlewareError('policy', envProblem, { codePrefix: 'ODOO' });
  const options = connectionOptions(body, credentials, (name) => process.env[name]);
  const urlProblem = storedSecretRefusal((['apiKey', 'password', 'apiKey2'] as const).some(reuse), options.url, deployed?.options.url);
  if (urlProblem) throw new MiddlewareError('policy', urlProblem, { codePrefix: 'ODOO' });
  return options;
}

function envValue(RED: NodeAPI, node: Node, name: string): string | undefined {
  const value: unknown = RED.util.evaluateNodeProperty(name, 'env', node, {});
  return value === undefined || value === '' ? undefined : String(value);
}
