import type { Node, NodeAPI, NodeDef } from 'node-red';
import { isKeyCollision, type DeliveryDef } from './lib/delivery';
import { toMiddlewareError, type MiddlewareError } from './lib/errors';
import type { OdooClient } from './lib/odoo/types';
import { parseCount, parseIds, requireModel } from './lib/read/validate';
import { callOptionsFrom } from './lib/runtime/call-options';
import { callOrigin } from './lib/ops/audit/origin';
import { attachDelivery, type NodeDelivery } from './lib/runtime/delivery-node';
import { handleWithConnection, type OdooMessage, type Send } from './lib/runtime/odoo-node';
import { evaluateTypedInput } from './lib/runtime/typed-input';
import { valuesBuilder } from './lib/runtime/write-values';
import { busy, failed, misconfigured, ok, type NodeStatus } from './lib/status';
import { PRECONDITION_PRESETS, parsePrecondition } from './lib/write/precondition';
import type { UpsertKey } from './lib/write/upsert';
import { DEFAULT_CHUNK_SIZE, WRITE_OPERATIONS, runWrite, type WriteOperation, type WriteOutcome, type WriteRequest } from './lib/write/writer';

interface OdooWriteDef extends NodeDef, DeliveryDef {
  connection: string;
  operation: WriteOperation;
  model: string;
  modelType: string;
  method: string;
  methodType: string;
  precondition: string;
  preconditionType: string;
  ids: string;
  idsType: string;
  chunkSize: string;
  keyType: 'none' | 'xmlid' | 'field';
  keyField: string;
  xmlidModule: string;
  postCorrelation: boolean;
  /** Values editor rules (field <- value); none writes msg.payload. */
  values?: unknown;
}

type Message = OdooMessage;

export = (RED: NodeAPI): void => {
  function OdooWrite(this: Node, def: OdooWriteDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const operation: WriteOperation = WRITE_OPERATIONS.includes(def.operation) ? def.operation : 'create';
    const buildValues = operation === 'unlink' ? undefined : valuesBuilder(RED, node, def.values);

    function upsertKey(): UpsertKey | undefined {
      const field = def.keyField?.trim();
      if (def.keyType === 'xmlid') return { kind: 'xmlid', field: field || 'xml_id', module: def.xmlidModule?.trim() || '__import__' };
      if (def.keyType === 'field' && field) return { kind: 'field', field };
      return undefined;
    }

    async function buildRequest(msg: Message): Promise<WriteRequest> {
      const needsIds = operation === 'write' || operation === 'unlink' || operation === 'call';
      const [model, method, ids, precondition] = await Promise.all([
        evaluateTypedInput(RED, node, 'model', def.model, def.modelType, msg),
        operation === 'call' ? evaluateTypedInput(RED, node, 'method', def.method, def.methodType, msg) : undefined,
        needsIds ? evaluateTypedInput(RED, node, 'ids', def.ids, def.idsType, msg) : undefined,
        operation === 'call' && def.precondition ? evaluateTypedInput(RED, node, 'precondition', def.precondition, def.preconditionType || 'json', msg) : undefined,
      ]);
      const key = operation === 'create' || operation === 'upsert' ? upsertKey() : undefined;
      const retry = msg.retry as { outcomeUnknown?: unknown } | undefined;
      const request: WriteRequest = {
        model: requireModel(model),
        operation,
        payload: msg.payload,
        chunkSize: parseCount(def.chunkSize, 'chunk size', DEFAULT_CHUNK_SIZE, 1) as number,
        // After a timeout or dropped response the first attempt may have committed: look up by key before creating.
        reconcile: key !== undefined && retry?.outcomeUnknown === true,
      };
      if (key) request.key = key;
      if (method !== undefined) request.method = method as string;
      const domain = parsePrecondition(precondition);
      if (domain !== undefined) request.precondition = domain;
      if (ids !== undefined && ids !== null && ids !== '') request.ids = parseIds(ids, 'ids');
      if (def.postCorrelation && operation !== 'unlink' && operation !== 'call' && typeof msg.correlationId === 'string' && msg.correlationId !== '') {
        request.postCorrelationId = msg.correlationId;
      }
      return request;
    }

    function report(request: WriteRequest, outcome: WriteOutcome, started: number): Record<string, unknown> {
      return {
        model: request.model,
        method: outcome.method,
        ids: outcome.ids,
        created: outcome.created,
        updated: outcome.updated,
        reconciled: outcome.reconciled,
        failed: outcome.failed.map(({ index, error }) => ({ index, error })),
        ...(outcome.skipped ? { skipped: outcome.skipped } : {}),
        durationMs: Date.now() - started,
        ...(outcome.chatter ? { chatter: outcome.chatter } : {}),
      };
    }

    type Outputs = [Message | null, Message | null];

    async function writeMessage(client: OdooClient, msg: Message): Promise<{ outcome: WriteOutcome; out: Outputs }> {
      const request = await buildRequest(msg);
      if (buildValues) request.payload = await buildValues(msg, client, callOptionsFrom(msg));
      const started = Date.now();
      node.status(busy('writing'));
      const outcome = await runWrite(client, request, { ...callOptionsFrom(msg), origin: callOrigin(node, msg, operation) });
      const odoo = report(request, outcome, started);
      let failedMsg: Message | null = null;
      if (outcome.failed.length > 0) {
        failedMsg = RED.util.cloneMessage(msg) as Message;
        failedMsg.payload = outcome.failed;
        failedMsg.odoo = RED.util.cloneMessage(odoo);
      }
      const anySuccess = outcome.ids.some((id) => id !== null) || outcome.result !== undefined;
      if (anySuccess) {
        const isRecordOp = operation === 'create' || operation === 'upsert' || operation === 'write';
        msg.payload = !isRecordOp ? outcome.result : outcome.single && operation !== 'write' ? outcome.ids[0] : outcome.ids;
        msg.odoo = odoo;
      }
      // Never a silent drop: successes leave by output 1, failed records by output 2 (both when mixed).
      return { outcome, out: [anySuccess ? msg : null, failedMsg] };
    }

    async function handle(client: OdooClient, msg: Message, send: Send): Promise<WriteOutcome> {
      const { outcome, out } = await writeMessage(client, msg);
      send(out);
      return outcome;
    }

    // Delivery tab: exactly once by key, durable retry and dead letter around the write above.
    let delivered: NodeDelivery | undefined;
    let deliverySetupError: MiddlewareError | undefined;
    try {
      const key = operation === 'create' || operation === 'upsert' ? upsertKey() : undefined;
      delivered = attachDelivery(RED, node, def, 'odoo-write', {
        isKeyCollision: key?.kind === 'field' ? (err) => isKeyCollision(err, key.field) : undefined,
        changed: () => delivered && node.status(delivered.status()),
      });
    } catch (err) {
      deliverySetupError = toMiddlewareError(err);
      node.error(deliverySetupError);
    }

    async function handleDelivered(client: OdooClient, msg: Message, send: Send): Promise<WriteOutcome | undefined> {
      if (!delivered) throw deliverySetupError;
      const result = await delivered.delivery.deliver(msg, async () => {
        const { outcome, out } = await writeMessage(client, msg);
        const written = out[0];
        // What a resend of the key is answered with: the ids as output 1 carried them, and the chatter count, so a
        // flow that posts a failed note again also does so for a resend after a crash.
        const odoo = { model: (written?.odoo as Record<string, unknown> | undefined)?.model, method: outcome.method, ids: outcome.ids, ...(outcome.chatter ? { chatter: outcome.chatter } : {}) };
        const stored = written ? { payload: written.payload, odoo } : null;
        return { written: written !== null, result: stored, outcome, out };
      });
      switch (result.route) {
        case 'written':
          send(result.attempt.out);
          return result.attempt.outcome;
        case 'stored': {
          const stored = (msg.idempotency as { result?: { payload?: unknown; odoo?: Record<string, unknown> } }).result ?? {};
          msg.payload = stored.payload;
          msg.odoo = { ...stored.odoo, fromStore: true };
          send([msg, null]);
          return undefined;
        }
        case 'conflict':
        case 'dead_lettered':
          send([null, msg]);
          return undefined;
        case 'retrying':
          return undefined;
      }
    }

    function statusOf(outcome: WriteOutcome): NodeStatus {
      const written = outcome.created + outcome.updated + outcome.reconciled;
      if (outcome.failed.length > 0) return failed(`${outcome.failed.length} failed, ${written} written`);
      if (outcome.skipped?.length) return ok(`${outcome.method} ok, ${outcome.skipped.length} skipped`);
      if (operation === 'unlink' || operation === 'call') return ok(`${outcome.method} ok`);
      return ok(`${written} written`);
    }

    if (delivered || deliverySetupError) {
      const setupStatus = misconfigured(deliverySetupError?.cause);
      handleWithConnection(RED, node, 'odoo-write', def.connection, handleDelivered, () => (delivered ? delivered.status() : setupStatus));
      if (deliverySetupError) node.status(setupStatus);
    } else {
      handleWithConnection(RED, node, 'odoo-write', def.connection, handle, statusOf);
    }
  }

  RED.nodes.registerType('odoo-write', OdooWrite);
  // The dialog's precondition presets come from the same list the library documents and tests.
  RED.httpAdmin.get('/odoo-write/precondition-presets', RED.auth.needsPermission('odoo-write.read'), (_req, res) => {
    res.json(PRECONDITION_PRESETS);
  });
};
