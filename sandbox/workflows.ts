/**
 * State changes behind the workflow buttons of sale.order, account.move and stock.picking, with the state checks
 * and UserError texts of Odoo 19. Each runs inside the call's transaction.
 */
import { userError } from './errors';
import { MOVE_PREFIX } from './models';
import { isNull, type Orm } from './orm';

function prepare(orm: Orm, model: string, ids: number[]): void {
  orm.checkAccess(model, 'write');
  orm.requireExisting(model, ids);
}

const stateOf = (orm: Orm, model: string, id: number): string => String(orm.row(model, id)?.state);

// ---------------------------------------------------------------- sale.order

export function confirmOrders(orm: Orm, ids: number[]): true {
  prepare(orm, 'sale.order', ids);
  if (ids.some((id) => !['draft', 'sent'].includes(stateOf(orm, 'sale.order', id)))) {
    throw userError('Some orders are not in a state requiring confirmation.');
  }
  return orm.writeRows('sale.order', ids, { state: 'sale', date_order: orm.db.now() });
}

/** Like Odoo's, returns nothing (null on the wire); so do button_draft and button_cancel. */
export function markQuotationsSent(orm: Orm, ids: number[]): null {
  prepare(orm, 'sale.order', ids);
  if (ids.some((id) => stateOf(orm, 'sale.order', id) !== 'draft')) throw userError('Only draft orders can be marked as sent directly.');
  orm.writeRows('sale.order', ids, { state: 'sent' });
  return null;
}

/** Odoo opens the cancellation wizard instead when an order is past draft, unless the context says not to. */
export function cancelOrders(orm: Orm, ids: number[]): true | Record<string, unknown> {
  prepare(orm, 'sale.order', ids);
  if (ids.some((id) => orm.row('sale.order', id)?.locked === true)) throw userError('You cannot cancel a locked order. Please unlock it first.');
  if (orm.context.disable_cancel_warning !== true && ids.some((id) => stateOf(orm, 'sale.order', id) !== 'draft')) {
    if (ids.length !== 1) throw userError(`Expected singleton: sale.order(${ids.join(', ')})`);
    return {
      name: 'Cancel Sales Order',
      view_mode: 'form',
      res_model: 'sale.order.cancel',
      type: 'ir.actions.act_window',
      context: { default_order_id: ids[0], mark_so_as_canceled: true },
      target: 'new',
    };
  }
  return orm.writeRows('sale.order', ids, { state: 'cancel' });
}

/** Only cancelled and sent orders go back to draft; the others are left as they are, without an error. */
export function resetOrdersToDraft(orm: Orm, ids: number[]): true {
  prepare(orm, 'sale.order', ids);
  const orders = ids.filter((id) => ['cancel', 'sent'].includes(stateOf(orm, 'sale.order', id)));
  return orm.writeRows('sale.order', orders, { state: 'draft' });
}

// ---------------------------------------------------------------- account.move

export function postMoves(orm: Orm, ids: number[]): true {
  prepare(orm, 'account.move', ids);
  for (const id of ids) {
    const move = orm.row('account.move', id);
    if (!move) continue;
    if (move.state !== 'draft') throw userError(`The entry ${orm.displayName('account.move', id)} (id ${id}) must be in draft.`);
    const isInvoice = move.move_type !== 'entry';
    const typeLabel = move.move_type === 'out_invoice' ? 'Customer Invoice' : 'document';
    if (isInvoice && isNull(move.partner_id)) {
      throw userError(`The field 'Customer' is required, please complete it to validate the ${typeLabel}.`);
    }
    if ((orm.table('account.move.line').referencing('move_id', id)?.size ?? 0) === 0) {
      throw userError('You need to add a line before posting.');
    }
    const invoiceDate = isNull(move.invoice_date) ? orm.db.today() : String(move.invoice_date);
    const year = invoiceDate.slice(0, 4);
    const prefix = MOVE_PREFIX[String(move.move_type)] ?? 'MISC';
    const number = orm.db.nextSequence(`account.move/${prefix}/${year}`);
    const name = move.name && move.name !== '/' ? move.name : `${prefix}/${year}/${String(number).padStart(5, '0')}`;
    orm.writeRows('account.move', [id], { state: 'posted', name, invoice_date: isInvoice ? invoiceDate : move.invoice_date });
  }
  return true;
}

/** The number stays: posting again reuses it. */
export function resetMovesToDraft(orm: Orm, ids: number[]): null {
  prepare(orm, 'account.move', ids);
  if (ids.some((id) => !['posted', 'cancel'].includes(stateOf(orm, 'account.move', id)))) {
    throw userError('Only posted/cancelled journal entries can be reset to draft.');
  }
  orm.writeRows('account.move', ids, { state: 'draft' });
  return null;
}

/** A posted entry is reset to draft first, then cancelled. */
export function cancelMoves(orm: Orm, ids: number[]): null {
  prepare(orm, 'account.move', ids);
  const posted = ids.filter((id) => stateOf(orm, 'account.move', id) === 'posted');
  if (posted.length > 0) resetMovesToDraft(orm, posted);
  if (ids.some((id) => stateOf(orm, 'account.move', id) !== 'draft')) throw userError('Only draft journal entries can be cancelled.');
  orm.writeRows('account.move', ids, { state: 'cancel' });
  return null;
}

// ---------------------------------------------------------------- stock.picking (no stock moves: see README)

export function confirmPickings(orm: Orm, ids: number[]): true {
  prepare(orm, 'stock.picking', ids);
  const drafts = ids.filter((id) => stateOf(orm, 'stock.picking', id) === 'draft');
  return orm.writeRows('stock.picking', drafts, { state: 'confirmed' });
}

export function assignPickings(orm: Orm, ids: number[]): true {
  confirmPickings(orm, ids);
  const open = ids.filter((id) => !['draft', 'cancel', 'done'].includes(stateOf(orm, 'stock.picking', id)));
  if (open.length === 0) throw userError('Nothing to check the availability for.');
  return orm.writeRows('stock.picking', open.filter((id) => stateOf(orm, 'stock.picking', id) !== 'assigned'), { state: 'assigned' });
}

/** Done transfers are left out silently, as in Odoo; a cancelled one has nothing left to move. */
export function validatePickings(orm: Orm, ids: number[]): true {
  prepare(orm, 'stock.picking', ids);
  const todo = ids.filter((id) => stateOf(orm, 'stock.picking', id) !== 'done');
  if (todo.some((id) => stateOf(orm, 'stock.picking', id) === 'cancel')) {
    throw userError(
      "Transfer trouble alert! Validating a zero quantity transfer? You're not moving invisible goods around are you?\nSet some quantities and let's get moving!",
    );
  }
  return orm.writeRows('stock.picking', todo, { state: 'done', date_done: orm.db.now() });
}

export function cancelPickings(orm: Orm, ids: number[]): true {
  prepare(orm, 'stock.picking', ids);
  if (ids.some((id) => stateOf(orm, 'stock.picking', id) === 'done')) {
    throw userError("You cannot cancel a stock move that has been set to 'Done'. Create a return in order to reverse the moves which took place.");
  }
  return orm.writeRows('stock.picking', ids, { state: 'cancel' });
}
