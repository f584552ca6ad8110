/**
 * Automation rules that send webhooks, as Odoo 19's base_automation does (`_run_action_webhook` in
 * odoo/addons/base/models/ir_actions.py): rules are base.automation records created over the API; once a
 * transaction commits, each matching rule's webhook action POSTs `{"_action", "_id", "_model", "id", ...fields}`
 * with sorted keys, one POST after another, each with a 1 s timeout, never retried, no signature. The caller's
 * request waits for them, as an Odoo user's does.
 */
import http from 'node:http';
import https from 'node:https';
import { compileDomain } from './domain';
import type { Database, RecordChange } from './database';
import { Orm, isNull } from './orm';
import type { FieldDef, ModelDef, Row } from './types';

/** Without trigger fields Odoo fires again on every recompute: measured on res.partner, 13 POSTs per create, 2 per write. */
export const REPEATS_WITHOUT_TRIGGER_FIELDS = { create: 13, write: 2 } as const;
export const WEBHOOK_TIMEOUT_MS = 1000;

export interface WebhookDelivery {
  /** When the POST started (ms). */
  at: number;
  url: string;
  body: Record<string, unknown>;
  /** The receiver's HTTP status; absent when it failed. */
  status?: number;
  /** Odoo's log line for a failed call: timed out, refused. */
  error?: string;
  ms: number;
}

interface PendingWebhook {
  url: string;
  body: Record<string, unknown>;
}

const magic = (): Record<string, FieldDef> => ({
  id: { type: 'integer', string: 'ID', readonly: true },
  display_name: { type: 'char', string: 'Display Name', readonly: true },
  create_date: { type: 'datetime', string: 'Created on', readonly: true },
  create_uid: { type: 'many2one', relation: 'res.users', string: 'Created by', readonly: true },
  write_date: { type: 'datetime', string: 'Last Updated on', readonly: true },
  write_uid: { type: 'many2one', relation: 'res.users', string: 'Last Updated by', readonly: true },
});

function modelDef(def: Omit<ModelDef, 'displayName' | 'nameSearchFields' | 'order'> & Partial<ModelDef>): ModelDef {
  return {
    displayName: (_orm, row) => (isNull(row.name) ? '' : String(row.name)),
    nameSearchFields: ['name'],
    order: 'id asc',
    ...def,
    fields: { ...magic(), ...def.fields },
  };
}

const TRIGGERS: Array<[string, string]> = [
  ['on_stage_set', 'Stage is set to'],
  ['on_user_set', 'User is set'],
  ['on_tag_set', 'Tag is added'],
  ['on_state_set', 'State is set to'],
  ['on_priority_set', 'Priority is set to'],
  ['on_archive', 'On archived'],
  ['on_unarchive', 'On unarchived'],
  ['on_create_or_write', 'On save'],
  ['on_create', 'On creation'],
  ['on_write', 'On update'],
  ['on_unlink', 'On deletion'],
  ['on_change', 'On UI change'],
  ['on_time', 'Based on date field'],
  ['on_time_created', 'After creation'],
  ['on_time_updated', 'After last update'],
  ['on_webhook', 'On webhook'],
];

/** ir.model.fields and ir.actions.server (base), and base.automation when base_automation is installed. */
export function automationModels(baseAutomation: boolean): ModelDef[] {
  const models: ModelDef[] = [
    modelDef({
      name: 'ir.model.fields',
      description: 'Fields',
      pythonClass: 'IrModelFields',
      order: 'id asc',
      fields: {
        name: { type: 'char', string: 'Field Name', required: true },
        model: { type: 'char', string: 'Model Name', required: true },
        model_id: { type: 'many2one', relation: 'ir.model', string: 'Model', required: true, ondelete: 'cascade' },
        field_description: { type: 'char', string: 'Field Label' },
        ttype: { type: 'char', string: 'Field Type', required: true },
        relation: { type: 'char', string: 'Related Model' },
        store: { type: 'boolean', string: 'Stored' },
      },
    }),
    modelDef({
      name: 'ir.actions.server',
      description: 'Server Actions',
      pythonClass: 'IrActionsServer',
      fields: {
        name: { type: 'char', string: 'Action Name', required: true },
        model_id: { type: 'many2one', relation: 'ir.model', string: 'Model', required: true, ondelete: 'cascade' },
        state: {
          type: 'selection',
          string: 'Type',
          required: true,
          selection: [['object_write', 'Update Record'], ['object_create', 'Create Record'], ['code', 'Execute Code'], ['webhook', 'Send Webhook Notification'], ['multi', 'Multi Actions']],
          default: () => 'object_write',
        },
        usage: {
          type: 'selection',
          string: 'Usage',
          required: true,
          selection: baseAutomation ? [['ir_actions_server', 'Server Action'], ['ir_cron', 'Scheduled Action'], ['base_automation', 'Automation Rule']] : [['ir_actions_server', 'Server Action'], ['ir_cron', 'Scheduled Action']],
          default: () => 'ir_actions_server',
        },
        webhook_url: { type: 'char', string: 'Webhook URL' },
        webhook_field_ids: { type: 'many2many', relation: 'ir.model.fields', string: 'Webhook Fields' },
        ...(baseAutomation ? { base_automation_id: { type: 'many2one', relation: 'base.automation', string: 'Automation Rule', ondelete: 'cascade' } as FieldDef } : {}),
      },
    }),
  ];
  if (baseAutomation) {
    models.push(
      modelDef({
        name: 'base.automation',
        description: 'Automation Rule',
        pythonClass: 'BaseAutomation',
        fields: {
          name: { type: 'char', string: 'Automation Rule Name', required: true },
          model_id: { type: 'many2one', relation: 'ir.model', string: 'Model', required: true, ondelete: 'cascade' },
          model_name: {
            type: 'char',
            string: 'Model Name',
            compute: (orm, row) => (typeof row.model_id === 'number' ? String(orm.row('ir.model', row.model_id)?.model ?? '') : false),
          },
          active: { type: 'boolean', string: 'Active', default: () => true },
          trigger: { type: 'selection', string: 'Trigger', required: true, selection: TRIGGERS },
          trigger_field_ids: { type: 'many2many', relation: 'ir.model.fields', string: 'Trigger Fields' },
          filter_pre_domain: { type: 'char', string: 'Before Update Domain' },
          filter_domain: { type: 'char', string: 'Apply on' },
          action_server_ids: { type: 'one2many', relation: 'ir.actions.server', inverseName: 'base_automation_id', string: 'Actions' },
        },
      }),
    );
  }
  return models;
}

const TTYPE: Record<string, string> = { many2one_reference: 'many2one_reference' };

/** One ir.model per model (the demo seed lists the business models) and one ir.model.fields per field. */
export function seedModelRegistry(orm: Orm, registry: Map<string, ModelDef>): void {
  for (const def of registry.values()) {
    const [listed] = orm.table('ir.model').lookup('ir_model_obj_name_uniq', [def.name]) ?? [];
    const modelId = listed ?? orm.createOne('ir.model', { name: def.description, model: def.name, state: 'base' });
    for (const [name, field] of Object.entries(def.fields)) {
      orm.createOne('ir.model.fields', {
        name,
        model: def.name,
        model_id: modelId,
        field_description: field.string,
        ttype: TTYPE[field.type] ?? field.type,
        relation: field.relation ?? false,
        store: !field.compute && field.type !== 'one2many',
      });
    }
  }
}

/** Odoo's domain text (a Python literal) as a domain list; the sandbox accepts JSON and Python's True/False/None. */
function domainOf(text: unknown): unknown[] | undefined {
  if (typeof text !== 'string' || text.trim() === '' || text.trim() === '[]') return undefined;
  const json = text.replace(/\(/g, '[').replace(/\)/g, ']').replace(/'/g, '"').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false').replace(/\bNone\b/g, 'null');
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function matches(orm: Orm, model: string, domainText: unknown, row: Row | undefined): boolean {
  const domain = domainOf(domainText);
  if (!domain) return true;
  if (!row) return false;
  return compileDomain(orm, model, domain).predicate(row);
}

function triggerFires(trigger: unknown, op: RecordChange['op']): boolean {
  if (trigger === 'on_create_or_write') return true;
  if (trigger === 'on_create') return op === 'create';
  if (trigger === 'on_write') return op === 'write';
  return false;
}

/** write_date as Odoo's webhook sends it: UTC with microseconds (the sandbox's clock gives milliseconds). */
function preciseWriteDate(stored: unknown, atMs: number): unknown {
  if (typeof stored !== 'string') return stored;
  const fraction = new Date(atMs).toISOString().slice(0, 19).replace('T', ' ') === stored ? String(atMs % 1000).padStart(3, '0') : '000';
  return `${stored}.${fraction}000`;
}

/** The webhooks a committed transaction sends, in order. */
export function webhooksFor(db: Database, registry: Map<string, ModelDef>, changes: RecordChange[]): PendingWebhook[] {
  if (!registry.has('base.automation')) return [];
  const orm = new Orm(db, 1, {}, registry);
  const rules = [...db.table('base.automation').rows.values()].filter((r) => r.active === true).sort((a, b) => a.id - b.id);
  if (rules.length === 0) return [];
  const out: PendingWebhook[] = [];
  for (const change of changes) {
    const row = orm.row(change.model, change.id);
    if (!row) continue;
    for (const rule of rules) {
      const ruleModel = typeof rule.model_id === 'number' ? orm.row('ir.model', rule.model_id)?.model : undefined;
      if (ruleModel !== change.model || !triggerFires(rule.trigger, change.op)) continue;
      const triggerFields = ((rule.trigger_field_ids as number[] | undefined) ?? []).map((id) => String(orm.row('ir.model.fields', id)?.name ?? ''));
      if (change.op === 'write' && triggerFields.length > 0 && !change.fields.some((f) => triggerFields.includes(f))) continue;
      if (change.op === 'write' && !matches(orm, change.model, rule.filter_pre_domain, change.before)) continue;
      if (!matches(orm, change.model, rule.filter_domain, row)) continue;
      const repeats = triggerFields.length > 0 ? 1 : REPEATS_WITHOUT_TRIGGER_FIELDS[change.op];
      const actions = [...db.table('ir.actions.server').rows.values()].filter((a) => a.base_automation_id === rule.id && a.state === 'webhook').sort((a, b) => a.id - b.id);
      for (const action of actions) {
        if (typeof action.webhook_url !== 'string' || action.webhook_url === '') continue;
        const names = ((action.webhook_field_ids as number[] | undefined) ?? []).map((id) => String(orm.row('ir.model.fields', id)?.name ?? '')).filter((n) => n !== '' && n !== 'id');
        const [values] = orm.read(change.model, [change.id], ['id', ...names]);
        if ('write_date' in values) values.write_date = preciseWriteDate(values.write_date, change.atMs);
        const body: Record<string, unknown> = { ...values, _action: `${String(action.name)}(#${action.id})`, _id: change.id, _model: change.model };
        const sorted = Object.fromEntries(Object.keys(body).sort().map((k) => [k, body[k]]));
        for (let i = 0; i < repeats; i += 1) out.push({ url: action.webhook_url, body: sorted });
      }
    }
  }
  return out;
}

/** JSON as Python's json.dumps writes it (requests' `json=`): ", " and ": " separators, non-ASCII escaped. */
export function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.stringify(value ?? null);
}

/** One POST as python-requests sends it, 1 s timeout, no retry; resolves with what Odoo would log. */
function post(webhook: PendingWebhook): Promise<WebhookDelivery> {
  const at = Date.now();
  const payload = Buffer.from(pythonJson(webhook.body));
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: { status?: number; error?: string }): void => {
      if (settled) return;
      settled = true;
      resolve({ at, url: webhook.url, body: webhook.body, ...outcome, ms: Date.now() - at });
    };
    let url: URL;
    try {
      url = new URL(webhook.url);
    } catch {
      finish({ error: `Webhook call failed: Invalid URL '${webhook.url}'` });
      return;
    }
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { 'User-Agent': 'python-requests/2.28.1', 'Accept-Encoding': 'gzip, deflate', Accept: '*/*', Connection: 'keep-alive', 'Content-Type': 'application/json', 'Content-Length': payload.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => finish({ status: res.statusCode }));
        res.on('error', () => finish({ status: res.statusCode }));
      },
    );
    const timer = setTimeout(() => {
      finish({ error: 'Webhook call timed out after 1s - it may or may not have failed.' });
      req.destroy();
    }, WEBHOOK_TIMEOUT_MS);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (err) => finish({ error: `Webhook call failed: ${err.message}` }));
    req.end(payload);
  });
}

/** Sends the webhooks one after another, as Odoo's post-commit hook does; never throws. */
export async function sendWebhooks(webhooks: PendingWebhook[], record: (delivery: WebhookDelivery) => void): Promise<void> {
  for (const webhook of webhooks) record(await post(webhook));
}
