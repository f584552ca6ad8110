import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { toMiddlewareError } from './lib/errors';
import { createOdooClient } from './lib/odoo';
import type { CircuitState, OdooClient } from './lib/odoo/types';
import { connectionOptions, type OdooConnectionCredentials, type OdooConnectionNode, type OdooConnectionSettings } from './lib/runtime/connection';
import { editorCatalog } from './lib/runtime/editor-catalog';

interface OdooConnectionDef extends NodeDef, OdooConnectionSettings {}

interface DeployedConnection extends OdooConnectionNode {
  settings: OdooConnectionSettings;
}

/** What the editor sends for a password field whose value it does not hold. */
const KEEP_SECRET = '__PWRD__';

export = (RED: NodeAPI): void => {
  const catalog = editorCatalog(RED);

  function OdooConnection(this: DeployedConnection, def: OdooConnectionDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    this.settings = { url: def.url, database: def.database, protocol: def.protocol, login: def.login, timeout: def.timeout, concurrency: def.concurrency, tlsVerify: def.tlsVerify, apiKeyEnv: def.apiKeyEnv, passwordEnv: def.passwordEnv, circuitThreshold: def.circuitThreshold, circuitCoolDown: def.circuitCoolDown };
    // Credentials already had `${NAME}` replaced by Node-RED; resolving again covers env set per flow.
    const options = connectionOptions(def, this.credentials ?? {}, (name) => envValue(RED, node, name));
    const client: OdooClient = createOdooClient(options);
    this.client = client;
    this.onCircuitChange = (listener: (state: CircuitState) => void) => client.onCircuitChange(listener);
    this.on('close', (_removed: boolean, done: () => void) => {
      catalog.forget(node.id);
      client.close();
      done();
    });
  }

  RED.nodes.registerType('odoo-connection', OdooConnection as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { apiKey: { type: 'password' }, password: { type: 'password' } },
  });

  // Tests the settings shown in the editor (saved or not); secrets the editor does not hold come from the deployed node.
  RED.httpAdmin.post('/odoo-connection/:id/test', RED.auth.needsPermission('odoo-connection.write'), (req: Request, res: Response) => {
    const id = String(req.params.id);
    const body = (req.body ?? {}) as OdooConnectionSettings & OdooConnectionCredentials;
    const deployed = RED.nodes.getNode(id) as DeployedConnection | null;
    const stored = (RED.nodes.getCredentials(id) ?? {}) as OdooConnectionCredentials;
    const secret = (sent: string | undefined, saved: string | undefined) => (sent === undefined || sent === KEEP_SECRET ? saved : sent);
    const settings = body.url !== undefined || !deployed ? body : deployed.settings;
    const options = connectionOptions(settings, { apiKey: secret(body.apiKey, stored.apiKey), password: secret(body.password, stored.password) }, (name) => process.env[name]);
    // A short-lived client: the deployed one keeps its cached protocol and circuit state untouched.
    const probe = createOdooClient({ ...options, circuit: false });
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

function envValue(RED: NodeAPI, node: Node, name: string): string | undefined {
  const value: unknown = RED.util.evaluateNodeProperty(name, 'env', node, {});
  return value === undefined || value === '' ? undefined : String(value);
}
