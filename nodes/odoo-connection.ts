import { createHash } from 'node:crypto';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Request, Response } from 'express';
import { MiddlewareError, toMiddlewareError } from './lib/errors';
import { createOdooClient, type OdooClientWithState } from './lib/odoo';
import type { CircuitState, KeyExpiry, OdooConnectionOptions, PauseInfo } from './lib/odoo/types';
import { instruments, nodeLabel } from './lib/ops/instruments';
import { installOps, settingsMasker } from './lib/runtime/ops';
import { auditObserver, observers } from './lib/ops/audit/recorder';
import type { AuditLog } from './lib/ops/audit/types';
import {
  connectionOptions,
  environmentOf,
  type OdooConnectionCredentials,
  type OdooConnectionNode,
  type OdooConnectionSettings,
} from './lib/runtime/connection';
import { envAccessFrom, envNamesUsed, envRefusal, storedSecretRefusal } from './lib/runtime/connection-test';
import { editorCatalog } from './lib/runtime/editor-catalog';

interface OdooConnectionDef extends NodeDef, OdooConnectionSettings {
  /** middleware-store config node whose audit log records every write of this connection; blank: no audit. */
  auditStore?: string;
}

interface DeployedConnection extends OdooConnectionNode {
  /** The resolved options the deployed client runs with (secrets included: never sent anywhere but its URL). */
  options: OdooConnectionOptions;
}

/** What the editor sends for a password field whose value it does not hold. */
const KEEP_SECRET = '__PWRD__';

/** A pause outlives a redeploy with the same credentials (a changed credential is the fix, so it resumes). */
const pausedConnections = new Map<string, { credentials: string; info: PauseInfo }>();

function credentialFingerprint(options: OdooConnectionOptions): string {
  const parts = [options.url, options.database, options.login, options.apiKey, options.apiKey2, options.password];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

export = (RED: NodeAPI): void => {
  installOps(RED);
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
    const credentials = credentialFingerprint(options);
    const remembered = pausedConnections.get(node.id);
    if (remembered && remembered.credentials !== credentials) pausedConnections.delete(node.id);
    else if (remembered) options = { ...options, paused: remembered.info };
    this.options = options;
    this.environment = environmentOf(def);
    const label = nodeLabel(def);
    const masker = settingsMasker(RED);
    const auditStoreId = def.auditStore?.trim();
    let auditProblem = '';
    // Looked up at each write: the store node may start after this one, and may be redeployed on its own.
    const auditLog = (): AuditLog | undefined => {
      const provider = RED.nodes.getNode(auditStoreId ?? '') as (Node & { getAuditLog?: () => AuditLog }) | null;
      try {
        if (!provider?.getAuditLog) throw new Error(`auditStore ${auditStoreId ?? ''} is not a deployed middleware-store`);
        const log = provider.getAuditLog();
        auditProblem = '';
        return log;
      } catch (err) {
        const problem = err instanceof Error ? err.message : String(err);
        if (problem !== auditProblem) node.error(`audit log unavailable, Odoo writes of ${label} are not audited: ${problem}`);
        auditProblem = problem;
        return undefined;
      }
    };
    const audit = auditStoreId
      ? auditObserver({
          connection: label,
          login: options.login,
          log: auditLog,
          masker,
          onError: (err, record) =>
            node.error(masker.maskText(`audit entry not written for ${record.model}.${record.method} ids [${record.ids.join(', ')}] (${record.outcome}): ${err instanceof Error ? err.message : String(err)}`)),
        })
      : undefined;
    const client: OdooClientWithState = createOdooClient(options, {
      log: { debug: (text) => node.debug(masker.maskText(text)), warn: (text) => node.warn(masker.maskText(text)) },
      observer: observers(instruments.callObserver(label), audit),
    });
    this.client = client;
    this.onCircuitChange = (listener: (state: CircuitState) => void) => client.onCircuitChange(listener);
    this.keyExpiry = () => client.keyExpiry;
    this.onKeyExpiry = (listener: (expiry: KeyExpiry) => void) => client.onKeyExpiry(listener);
    this.paused = () => client.paused;
    this.maskText = (text: string) => masker.maskText(text);
    this.onPauseChange = (listener: (paused: PauseInfo | undefined) => void) => client.onPauseChange(listener);
    const unwatch = instruments.watchConnection(label, { circuitState: () => client.circuitState, keyExpiry: () => client.keyExpiry, paused: () => client.paused });
    const unsubscribePause = client.onPauseChange((info) => {
      if (!info) {
        pausedConnections.delete(node.id);
        node.log(`Odoo connection ${label} resumed`);
        return;
      }
      pausedConnections.set(node.id, { credentials, info });
      node.error(masker.maskText(`Odoo connection ${label} paused: ${info.reason}. Calls fail at once (kind paused) until the connection is resumed from its dialog or deployed with changed credentials`));
    });
    this.on('close', (removed: boolean, done: () => void) => {
      unwatch();
      unsubscribePause();
      if (removed) pausedConnections.delete(node.id);
      catalog.forget(node.id);
      client.close();
      done();
    });
  }

  RED.nodes.registerType('odoo-connection', OdooConnection as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], {
    credentials: { apiKey: { type: 'password' }, password: { type: 'password' }, apiKey2: { type: 'password' } },
  });

  RED.httpAdmin.get('/odoo-connection/:id/state', RED.auth.needsPermission('odoo-connection.read'), (req: Request, res: Response) => {
    const deployed = RED.nodes.getNode(String(req.params.id)) as DeployedConnection | null;
    if (!deployed) {
      res.status(404).json({ error: { code: 'ODOO_NOT_DEPLOYED', message: `odoo-connection ${String(req.params.id)} is not deployed` } });
      return;
    }
    const client = deployed.client as OdooClientWithState;
    res.json({ paused: client.paused ?? null, circuitState: client.circuitState });
  });

  RED.httpAdmin.post('/odoo-connection/:id/resume', RED.auth.needsPermission('odoo-connection.write'), (req: Request, res: Response) => {
    const deployed = RED.nodes.getNode(String(req.params.id)) as DeployedConnection | null;
    if (!deployed) {
      res.status(404).json({ error: { code: 'ODOO_NOT_DEPLOYED', message: `odoo-connection ${String(req.params.id)} is not deployed` } });
      return;
    }
    const resumed = (deployed.client as OdooClientWithState).resume();
    res.json({ resumed, paused: null });
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
