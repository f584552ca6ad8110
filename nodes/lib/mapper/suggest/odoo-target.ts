/**
 * An Odoo model's fields as a suggestion target, read with `fields_get` through an OdooClient; the lines of its
 * one2many fields (`order_line` -> `sale.order.line`) are read too, so arrays of lines can be mapped with `map`.
 */
import type { OdooClient } from '../../odoo/types';
import { targetFromFieldsGet, type OdooFieldInfo, type Target } from './targets';

const ATTRIBUTES = ['string', 'type', 'required', 'readonly', 'store', 'relation', 'selection'];
/** Line models read per suggestion at most: a model's few real line lists, not every chatter relation. */
const MAX_LINE_MODELS = 4;
const NOT_LINES = /^(message|activity|website_message|rating)_/;

export async function odooTarget(client: Pick<OdooClient, 'call'>, model: string): Promise<Target> {
  const fields = await client.call<Record<string, OdooFieldInfo>>(model, 'fields_get', { attributes: ATTRIBUTES });
  const lineModels = [
    ...new Set(
      Object.entries(fields)
        .filter(([name, f]) => f.type === 'one2many' && f.relation && !f.readonly && !NOT_LINES.test(name))
        .map(([, f]) => f.relation as string),
    ),
  ].slice(0, MAX_LINE_MODELS);
  const relations: Record<string, Record<string, OdooFieldInfo>> = {};
  for (const relation of lineModels) relations[relation] = await client.call<Record<string, OdooFieldInfo>>(relation, 'fields_get', { attributes: ATTRIBUTES });
  return targetFromFieldsGet(model, fields, relations);
}
