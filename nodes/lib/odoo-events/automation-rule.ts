/**
 * Creates or updates, idempotently, the Odoo automation rule that sends a model's changes to a webhook-in node:
 * one base.automation (found again by its name) with one ir.actions.server of state "webhook". Trigger fields
 * are always set, so one change sends one POST (without them Odoo fires on every recompute), and write_date is
 * always sent: it is the deduplication key.
 */
import { MiddlewareError, ValidationError } from '../errors';
import type { OdooClient } from '../odoo/types';

export type RuleTrigger = 'on_create' | 'on_write' | 'on_create_or_write' | 'on_value';
export const RULE_TRIGGERS: readonly RuleTrigger[] = ['on_create', 'on_write', 'on_create_or_write', 'on_value'];

export interface RuleSpec {
  /** Rule name; the rule with this name on this model is the one updated. */
  name: string;
  model: string;
  trigger: RuleTrigger;
  /** Fields whose change fires the rule; on_value: the field is added. */
  triggerFields: string[];
  /** on_value: the rule fires when this field becomes `value`. */
  valueField?: string;
  value?: string | number | boolean;
  /** Fields in the body besides id and write_date. */
  fields: string[];
  /** The webhook-in URL with its token. */
  url: string;
}

export interface RuleResult {
  ruleId: number;
  actionId: number;
  created: boolean;
}

type Caller = Pick<OdooClient, 'call'>;

const FIELD = /^[a-z_][a-z0-9_]*$/;
const MODEL = /^[a-z][a-z0-9_.]*$/;

export class AutomationNotInstalledError extends MiddlewareError {
  constructor() {
    super('not_installed', 'The Odoo module base_automation ("Automation Rules") is not installed: install it from Apps, then try again', { codePrefix: 'ODOO' });
  }
}

export function ruleName(model: string, path: string): string {
  return `Node-RED: ${model} to webhook-in ${path}`;
}

/** Checks and normalises what the editor sent. */
export function parseRuleSpec(input: Record<string, unknown>, name: string): RuleSpec {
  const list = (value: unknown, property: string): string[] => {
    const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
    const names = items.map((v) => String(v).trim()).filter((v) => v !== '');
    for (const n of names) if (!FIELD.test(n)) throw new ValidationError(`${property}: "${n}" is not a field name`, { property });
    return [...new Set(names)];
  };
  const model = String(input.model ?? '').trim();
  if (!MODEL.test(model)) throw new ValidationError('model must be an Odoo model name such as res.partner', { property: 'model' });
  const trigger = input.trigger as RuleTrigger;
  if (!RULE_TRIGGERS.includes(trigger)) throw new ValidationError(`trigger must be one of ${RULE_TRIGGERS.join(', ')}`, { property: 'trigger' });
  const spec: RuleSpec = { name, model, trigger, triggerFields: list(input.triggerFields, 'triggerFields'), fields: list(input.fields, 'fields'), url: String(input.url ?? '').trim() };
  if (trigger === 'on_value') {
    const valueField = String(input.valueField ?? '').trim();
    if (!FIELD.test(valueField)) throw new ValidationError('a trigger on a field value needs the field, e.g. state', { property: 'valueField' });
    spec.valueField = valueField;
    spec.value = input.value as string;
    if (!spec.triggerFields.includes(valueField)) spec.triggerFields.push(valueField);
  }
  if (spec.triggerFields.length === 0) {
    throw new ValidationError('trigger fields are required: without them Odoo sends a POST for every recompute (13 for one create)', { property: 'triggerFields' });
  }
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new ValidationError('the URL of this node must be an absolute http(s) URL Odoo can reach, e.g. https://nodered.example.com/odoo/partner', { property: 'url' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('the URL of this node must be http or https', { property: 'url' });
  return spec;
}

/** Python literal of a domain as Odoo stores it in filter_domain. */
function pyDomain(field: string, operator: string, value: unknown): string {
  const literal = typeof value === 'boolean' ? (value ? 'True' : 'False') : typeof value === 'number' ? String(value) : `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `[('${field}', '${operator}', ${literal})]`;
}

function isMissingModel(err: unknown, model: string): boolean {
  const message = err instanceof Error ? err.message : '';
  return message.includes(`'${model}' does not exist`) || message.includes(`Object ${model} doesn't exist`);
}

export async function upsertAutomationRule(client: Caller, spec: RuleSpec): Promise<RuleResult> {
  const models = await client.call<Array<{ id: number; model: string }>>('ir.model', 'search_read', { domain: [['model', 'in', [spec.model, 'base.automation']]], fields: ['model'] });
  if (!models.some((m) => m.model === 'base.automation')) throw new AutomationNotInstalledError();
  const modelId = models.find((m) => m.model === spec.model)?.id;
  if (modelId === undefined) throw new ValidationError(`Odoo has no model ${spec.model}`, { property: 'model' });

  const wanted = [...new Set([...spec.triggerFields, ...spec.fields, 'write_date'])];
  const found = await client.call<Array<{ id: number; name: string }>>('ir.model.fields', 'search_read', { domain: [['model', '=', spec.model], ['name', 'in', wanted]], fields: ['name'] });
  const idOf = new Map(found.map((f) => [f.name, f.id]));
  const unknown = wanted.filter((n) => !idOf.has(n));
  if (unknown.length > 0) throw new ValidationError(`${spec.model} has no field ${unknown.join(', ')}`, { property: 'fields', unknown });
  const ids = (names: string[]): number[] => names.map((n) => idOf.get(n) as number);

  const onValue = spec.trigger === 'on_value' && spec.valueField !== undefined;
  const rule: Record<string, unknown> = {
    name: spec.name,
    model_id: modelId,
    // A value reached by create or write: Odoo's "on save" with a before/after domain.
    trigger: onValue ? 'on_create_or_write' : spec.trigger,
    trigger_field_ids: [[6, 0, ids(spec.triggerFields)]],
    filter_pre_domain: onValue ? pyDomain(spec.valueField as string, '!=', spec.value) : false,
    filter_domain: onValue ? pyDomain(spec.valueField as string, '=', spec.value) : false,
    active: true,
  };
  const action = {
    name: `Send ${spec.model} to Node-RED`,
    model_id: modelId,
    state: 'webhook',
    webhook_url: spec.url,
    webhook_field_ids: [[6, 0, ids([...new Set([...spec.fields, 'write_date'])])]],
  };

  let existing: Array<{ id: number; action_server_ids: number[] }>;
  try {
    existing = await client.call('base.automation', 'search_read', { domain: [['name', '=', spec.name], ['model_id', '=', modelId]], fields: ['action_server_ids'], context: { active_test: false } });
  } catch (err) {
    if (isMissingModel(err, 'base.automation')) throw new AutomationNotInstalledError();
    throw err;
  }
  if (existing.length === 0) {
    const [ruleId] = await client.call<number[]>('base.automation', 'create', { vals_list: [{ ...rule, action_server_ids: [[0, 0, action]] }] });
    const [created] = await client.call<Array<{ action_server_ids: number[] }>>('base.automation', 'read', { ids: [ruleId], fields: ['action_server_ids'] });
    return { ruleId, actionId: created.action_server_ids[0], created: true };
  }
  const ruleId = existing[0].id;
  const webhooks = existing[0].action_server_ids.length
    ? await client.call<Array<{ id: number }>>('ir.actions.server', 'search_read', { domain: [['id', 'in', existing[0].action_server_ids], ['state', '=', 'webhook']], fields: ['id'] })
    : [];
  if (webhooks.length > 0) {
    await client.call('ir.actions.server', 'write', { ids: [webhooks[0].id], vals: action });
    await client.call('base.automation', 'write', { ids: [ruleId], vals: rule });
    return { ruleId, actionId: webhooks[0].id, created: false };
  }
  await client.call('base.automation', 'write', { ids: [ruleId], vals: { ...rule, action_server_ids: [[0, 0, action]] } });
  const [updated] = await client.call<Array<{ action_server_ids: number[] }>>('base.automation', 'read', { ids: [ruleId], fields: ['action_server_ids'] });
  return { ruleId, actionId: updated.action_server_ids[updated.action_server_ids.length - 1], created: false };
}
