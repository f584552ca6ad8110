/** The body of Odoo's automation-rule webhook: `{"_model", "_id", "_action", "id", ...fields}`. */
import { isOdooWriteDate } from './dedupe';

export interface OdooEventInfo {
  model: string;
  id: number;
  /** The server action's name and id, e.g. "Send partner webhook(#354)"; "sweep" for a record the sweep found. */
  action: string;
  /** Present when the rule sends write_date (the dedupe key). */
  writeDate?: string;
}

export type ParsedOdooEvent = { ok: true; event: OdooEventInfo } | { ok: false; message: string };

export function parseOdooEvent(payload: unknown): ParsedOdooEvent {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    return { ok: false, message: 'an Odoo webhook body is a JSON object with _model and _id' };
  }
  const body = payload as Record<string, unknown>;
  if (typeof body._model !== 'string' || !/^[a-z][a-z0-9_.]*$/.test(body._model)) {
    return { ok: false, message: '_model must be an Odoo model name such as "res.partner"' };
  }
  if (!Number.isSafeInteger(body._id) || (body._id as number) <= 0) return { ok: false, message: '_id must be a positive record id' };
  const event: OdooEventInfo = { model: body._model, id: body._id as number, action: typeof body._action === 'string' ? body._action : '' };
  if (isOdooWriteDate(body.write_date)) event.writeDate = body.write_date;
  return { ok: true, event };
}

/**
 * A record the sweep read, shaped like the webhook's body so one flow handles both: `_model`, `_id`,
 * `_action: "sweep"` and the record's fields.
 */
export function sweepEventBody(model: string, record: Record<string, unknown>): Record<string, unknown> {
  return { _action: 'sweep', _id: record.id, _model: model, ...record };
}
