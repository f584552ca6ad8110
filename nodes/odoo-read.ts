import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { OdooClient } from './lib/odoo/types';
import { isWatermark, type Watermark } from './lib/read/incremental';
import { DEFAULT_MAX_RECORDS, DEFAULT_PAGE_SIZE, READ_OPERATIONS, runRead, type Batch, type OutputMode, type ReadOperation, type ReadRequest } from './lib/read/reader';
import { parseContext, parseCount, parseDomain, parseFields, parseIds, requireModel } from './lib/read/validate';
import { callOptionsFrom } from './lib/runtime/call-options';
import { contextGet, contextSet } from './lib/runtime/node-context';
import { handleWithConnection, type OdooMessage, type Send } from './lib/runtime/odoo-node';
import { evaluateTypedInput } from './lib/runtime/typed-input';
import { busy, ok } from './lib/status';
import { OdooEventDedupe } from './lib/odoo-events/dedupe';
import { sweepEventBody } from './lib/odoo-events/event';
import { DEFAULT_LOOKBACK_SECONDS, DEFAULT_SETTLE_SECONDS, sweepWindow, unseenRecords } from './lib/odoo-events/sweep';
import { ValidationError } from './lib/errors';
import { middlewareStoreOf } from './lib/runtime/middleware-store';

interface OdooReadDef extends NodeDef {
  connection: string;
  operation: ReadOperation;
  model: string;
  modelType: string;
  domain: string;
  domainType: string;
  fields: string;
  fieldsType: string;
  ids: string;
  idsType: string;
  searchName: string;
  searchNameType: string;
  order: string;
  limit: string;
  offset: string;
  context: string;
  contextType: string;
  output: OutputMode;
  pageSize: string;
  maxRecords: string;
  incremental: boolean;
  includeArchived: boolean;
  /** Missed-event sweep: only records webhook-in's odoo scheme (same store and namespace) has not seen. */
  sweep?: boolean;
  sweepStore?: string;
  sweepNamespace?: string;
  sweepSettle?: string | number;
  sweepLookback?: string | number;
}

/** Node context key: watermark per model, so changing the model never reuses another model's position. */
const WATERMARKS = 'watermarks';
type Message = OdooMessage;

export = (RED: NodeAPI): void => {
  function OdooRead(this: Node, def: OdooReadDef) {
    RED.nodes.createNode(this, def);
    const node = this;

    const seconds = (value: unknown, fallback: number): number => (value === '' || value === undefined || !(Number(value) >= 0) ? fallback : Number(value));
    let dedupe: OdooEventDedupe | undefined;
    const sweepDedupe = (): OdooEventDedupe => {
      dedupe ??= new OdooEventDedupe(middlewareStoreOf(RED, def.sweepStore ?? '', 'odoo-read (the sweep keeps its seen-set in the store)'), def.sweepNamespace);
      return dedupe;
    };

    const evaluate = (property: string, value: string, type: string, msg: NodeMessage) => evaluateTypedInput(RED, node, property, value, type, msg);

    async function buildRequest(msg: Message): Promise<ReadRequest> {
      const operation = READ_OPERATIONS.includes(def.operation) ? def.operation : 'search_read';
      const [model, domain, fields, ids, name, context] = await Promise.all([
        evaluate('model', def.model, def.modelType, msg),
        evaluate('domain', def.domain, def.domainType || 'json', msg),
        evaluate('fields', def.fields, def.fieldsType, msg),
        operation === 'read' ? evaluate('ids', def.ids, def.idsType || 'msg', msg) : undefined,
        operation === 'name_search' ? evaluate('name', def.searchName, def.searchNameType, msg) : undefined,
        evaluate('context', def.context, def.contextType || 'json', msg),
      ]);
      const request: ReadRequest = {
        model: requireModel(model),
        operation,
        domain: parseDomain(domain),
        fields: parseFields(fields),
        order: def.order?.trim() || undefined,
        limit: parseCount(def.limit, 'limit', undefined),
        offset: parseCount(def.offset, 'offset', undefined),
        context: parseContext(context),
        output: def.output === 'page' || def.output === 'record' ? def.output : 'all',
        pageSize: parseCount(def.pageSize, 'page size', DEFAULT_PAGE_SIZE, 1) as number,
        maxRecords: parseCount(def.maxRecords, 'max records', DEFAULT_MAX_RECORDS, 1) as number,
      };
      if (ids !== undefined) request.ids = parseIds(ids, 'ids');
      if (name !== undefined) request.name = String(name);
      if (def.incremental && operation === 'search_read') {
        const watermarks = await loadWatermarks();
        if (msg.reset === true) delete watermarks[request.model];
        request.incremental = { includeArchived: def.includeArchived === true, watermark: watermarks[request.model] };
        if (msg.reset === true) await contextSet(node, WATERMARKS, watermarks);
      }
      if (def.sweep) {
        if (!request.incremental) throw new ValidationError('the missed-event sweep needs operation search_read in incremental mode', { property: 'sweep' });
        const window = sweepWindow(Date.now(), seconds(def.sweepSettle, DEFAULT_SETTLE_SECONDS) * 1000, seconds(def.sweepLookback, DEFAULT_LOOKBACK_SECONDS) * 1000, request.incremental.watermark);
        request.domain = [...request.domain, ...window.domain];
        request.incremental.watermark = window.watermark;
        // Pages keep a backlog after an outage bounded; each missed change leaves as its own message.
        request.output = 'page';
      }
      return request;
    }

    async function loadWatermarks(): Promise<Record<string, Watermark>> {
      const stored = await contextGet(node, WATERMARKS);
      const watermarks: Record<string, Watermark> = {};
      if (stored && typeof stored === 'object') for (const [model, wm] of Object.entries(stored)) if (isWatermark(wm)) watermarks[model] = wm;
      return watermarks;
    }

    async function saveWatermark(model: string, watermark: Watermark): Promise<void> {
      const watermarks = await loadWatermarks();
      watermarks[model] = watermark;
      await contextSet(node, WATERMARKS, watermarks);
    }

    async function handle(client: OdooClient, msg: Message, send: Send): Promise<number> {
      const request = await buildRequest(msg);
      const started = Date.now();
      node.status(busy('reading'));
      const partId = RED.util.generateId();
      const { payload: _payload, ...rest } = msg;
      // Pages and records leave as copies of the incoming message (without its payload, which they replace).
      const template = rest as Message;
      let recordIndex = 0;
      const info = (batch: Batch, extra: Record<string, unknown>) => ({
        model: request.model,
        method: request.operation,
        count: batch.count,
        ...extra,
        durationMs: Date.now() - started,
        ...(batch.watermark ? { watermark: batch.watermark } : {}),
      });
      const partsOf = (index: number, count: number | undefined, len?: number) => ({
        id: partId,
        index,
        type: 'array',
        ...(count !== undefined ? { count } : {}),
        ...(len !== undefined ? { len } : {}),
        ...(msg.parts !== undefined ? { parts: msg.parts } : {}),
      });

      let published = 0;
      const onBatch = async (batch: Batch): Promise<void> => {
        if (def.sweep) {
          const unseen = await unseenRecords(sweepDedupe(), request.model, batch.result as Array<Record<string, unknown>>, Date.now());
          for (const { record, claim } of unseen) {
            const out = RED.util.cloneMessage(template) as Message;
            out.payload = sweepEventBody(request.model, record);
            out.odoo = { model: request.model, id: record.id, action: 'sweep', method: 'search_read', ...(batch.watermark ? { watermark: batch.watermark } : {}) };
            send(out);
            await claim.done(Date.now());
            published += 1;
          }
        } else if (request.operation !== 'search_read' || request.output === 'all') {
          msg.payload = batch.result;
          msg.odoo = info(batch, {});
          send(msg);
        } else if (request.output === 'page') {
          const out = RED.util.cloneMessage(template) as Message;
          out.payload = batch.result;
          // len > 1 makes the core join node (automatic mode) concatenate the pages into one array of records.
          out.parts = partsOf(batch.index, batch.last ? batch.index + 1 : undefined, Math.max(2, request.pageSize));
          out.odoo = info(batch, { page: { index: batch.index, size: request.pageSize, last: batch.last } });
          send(out);
        } else {
          const records = batch.result as unknown[];
          records.forEach((record, i) => {
            const out = RED.util.cloneMessage(template) as Message;
            out.payload = record;
            const last = batch.last && i === records.length - 1;
            out.parts = partsOf(recordIndex, last ? recordIndex + 1 : undefined);
            out.odoo = info({ ...batch, count: 1 }, { index: recordIndex });
            recordIndex += 1;
            send(out);
          });
        }
        // Advanced only once the batch is out: a crash in between re-reads it rather than skipping it.
        if (batch.watermark) await saveWatermark(request.model, batch.watermark);
      };
      const summary = await runRead(client, request, callOptionsFrom(msg), onBatch);
      return def.sweep ? published : summary.records;
    }

    const statusOf = (n: number) => ok(def.sweep ? `${n} missed` : `${n} record${n === 1 ? '' : 's'}`);
    handleWithConnection(RED, node, 'odoo-read', def.connection, handle, statusOf);
  }

  RED.nodes.registerType('odoo-read', OdooRead);
};
