/**
 * Replay-safe method calls: a precondition domain picks the records that still need the call (a draft order for
 * action_confirm); the others are already done and reported as skipped. A UserError raised because another
 * process changed a record between the check and the call is a skip too, when the record no longer matches.
 */
import { ValidationError } from '../errors';
import { OdooError } from '../odoo/errors';
import type { CallOptions, OdooClient } from '../odoo/types';
import { describe } from '../read/validate';

/** An Odoo domain: leaves `[field, operator, value]` and the prefix operators `&`, `|`, `!`. */
export type Domain = unknown[];

export interface PreconditionPreset {
  model: string;
  method: string;
  domain: Domain;
  /** What the user should know about the action (shown in the editor). */
  note: string;
}

/** The states each action needs in Odoo 19, i.e. the records the action still has something to do for. */
export const PRECONDITION_PRESETS: readonly PreconditionPreset[] = [
  { model: 'sale.order', method: 'action_confirm', domain: [['state', 'in', ['draft', 'sent']]], note: 'Quotations only; confirmed or cancelled orders are skipped.' },
  { model: 'sale.order', method: 'action_quotation_sent', domain: [['state', '=', 'draft']], note: 'Marks draft quotations as sent.' },
  {
    model: 'sale.order',
    method: 'action_cancel',
    domain: [['state', '!=', 'cancel']],
    note: 'Odoo answers with its cancellation wizard for orders past draft: send msg.payload {"context": {"disable_cancel_warning": true}}. Locked orders are refused.',
  },
  { model: 'sale.order', method: 'action_draft', domain: [['state', 'in', ['cancel', 'sent']]], note: 'Cancelled or sent orders back to quotation.' },
  { model: 'account.move', method: 'action_post', domain: [['state', '=', 'draft']], note: 'Posts draft entries; posted or cancelled ones are skipped.' },
  { model: 'account.move', method: 'button_draft', domain: [['state', 'in', ['posted', 'cancel']]], note: 'Resets posted or cancelled entries to draft.' },
  { model: 'account.move', method: 'button_cancel', domain: [['state', '!=', 'cancel']], note: 'Cancels entries; a posted one is reset to draft first.' },
  { model: 'stock.picking', method: 'action_confirm', domain: [['state', '=', 'draft']], note: 'Marks draft transfers as to do.' },
  {
    model: 'stock.picking',
    method: 'action_assign',
    domain: [['state', 'in', ['draft', 'confirmed', 'waiting']]],
    note: 'Reserves stock for transfers not ready yet; ready, done or cancelled ones are skipped.',
  },
  {
    model: 'stock.picking',
    method: 'button_validate',
    domain: [['state', 'not in', ['done', 'cancel']]],
    note: 'Validates transfers. With quantities short of the demand Odoo answers with its backorder wizard instead: send msg.payload {"context": {"skip_backorder": true}} (or "picking_ids_not_to_backorder").',
  },
  { model: 'stock.picking', method: 'action_cancel', domain: [['state', 'not in', ['done', 'cancel']]], note: 'Cancels transfers not done yet.' },
];

const OPERATORS = new Set([
  '=', '!=', '<', '<=', '>', '>=', '=?', '=like', '=ilike', 'like', 'not like', 'ilike', 'not ilike',
  'in', 'not in', 'child_of', 'parent_of', 'any', 'not any',
]);

/**
 * A precondition as configured or sent: a domain, or its JSON text. Empty (undefined, '', []) means no
 * precondition. Anything else that is not a well-formed domain is a ValidationError naming `property`.
 */
export function parsePrecondition(value: unknown, property = 'precondition'): Domain | undefined {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  let domain = value;
  if (typeof value === 'string') {
    try {
      domain = JSON.parse(value);
    } catch (err) {
      throw new ValidationError(`${property} must be a JSON domain such as [["state","in",["draft","sent"]]]; ${(err as Error).message}`, { property });
    }
  }
  if (!Array.isArray(domain)) throw new ValidationError(`${property} must be a domain (a list of [field, operator, value] terms); got ${describe(domain)}`, { property });
  if (domain.length === 0) return undefined;
  // Prefix notation read from the end: a leaf adds an operand, '!' needs one, '&' and '|' need two.
  let operands = 0;
  for (let i = domain.length - 1; i >= 0; i -= 1) {
    const term: unknown = domain[i];
    if (term === '!') {
      if (operands < 1) throw new ValidationError(`${property}[${i}]: "!" needs a term after it`, { property, index: i });
    } else if (term === '&' || term === '|') {
      if (operands < 2) throw new ValidationError(`${property}[${i}]: "${term}" needs two terms after it`, { property, index: i });
      operands -= 1;
    } else {
      checkLeaf(term, `${property}[${i}]`);
      operands += 1;
    }
  }
  return domain;
}

function checkLeaf(term: unknown, at: string): void {
  if (!Array.isArray(term) || term.length !== 3) {
    throw new ValidationError(`${at} must be a [field, operator, value] term or one of "&", "|", "!"; got ${describe(term)}`, { property: at });
  }
  const [field, operator] = term as unknown[];
  if (typeof field !== 'string' || !/^[a-zA-Z_][\w.]*$/.test(field)) throw new ValidationError(`${at}: the field must be a field name such as "state"; got ${describe(field)}`, { property: at });
  if (typeof operator !== 'string' || !OPERATORS.has(operator.toLowerCase())) {
    throw new ValidationError(`${at}: unknown operator ${describe(operator)}; expected one of ${[...OPERATORS].join(', ')}`, { property: at });
  }
}

export interface GuardedCall {
  model: string;
  method: string;
  ids: number[];
  /** Named arguments of the method (ids excluded). */
  args: Record<string, unknown>;
  domain: Domain;
}

export interface GuardedCallOutcome {
  /** What Odoo returned; null when no record needed the call. */
  result: unknown;
  /** Records the method ran on. */
  called: number[];
  /** Records that did not match the precondition (already done), in input order. */
  skipped: number[];
}

type Caller = Pick<OdooClient, 'call'>;

/** Calls `method` on the records of `ids` that match `domain`; see the module comment for what is skipped. */
export async function callWithPrecondition(client: Caller, call: GuardedCall, options: CallOptions): Promise<GuardedCallOutcome> {
  const { model, method, ids, args, domain } = call;
  // Archived records count: a precondition is about state, not visibility.
  const search = async (among: number[], terms: Domain): Promise<Set<number>> =>
    new Set(await client.call<number[]>(model, 'search', { domain: [['id', 'in', among], ...terms], context: { active_test: false } }, options));
  const inputOrder = (list: number[]): number[] => ids.filter((id) => list.includes(id));

  const matching = await search(ids, domain);
  let pending = ids.filter((id) => matching.has(id));
  const skipped = ids.filter((id) => !matching.has(id));
  if (skipped.length > 0) {
    // A deleted record is not "already done": say so, as calling it would have.
    const existing = await search(skipped, []);
    const missing = skipped.filter((id) => !existing.has(id));
    if (missing.length > 0) {
      throw new OdooError({ kind: 'missing', model, method, message: `Record does not exist or has been deleted: ${model}(${missing.join(', ')})` });
    }
  }
  while (pending.length > 0) {
    try {
      const result = await client.call<unknown>(model, method, { ...args, ids: pending }, options);
      return { result, called: pending, skipped: inputOrder(skipped) };
    } catch (err) {
      if (!(err instanceof OdooError) || err.kind !== 'user') throw err;
      // Odoo rolled the whole call back; the records another process moved on are done, the rest are tried again.
      let still: Set<number>;
      try {
        still = await search(pending, domain);
      } catch {
        throw err;
      }
      const overtaken = pending.filter((id) => !still.has(id));
      if (overtaken.length === 0) throw err;
      skipped.push(...overtaken);
      pending = pending.filter((id) => still.has(id));
    }
  }
  return { result: null, called: [], skipped: inputOrder(skipped) };
}
