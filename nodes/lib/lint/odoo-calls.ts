/**
 * The Odoo calls a node's settings make, so policy rules can check them without running the flow. Only what the
 * settings fix: a model or method taken from msg, flow or env at run time is unknown here and not listed.
 */
import type { FlowObject } from './flow-index';

export interface OdooCall {
  model: string;
  method: string;
}

const literal = (node: FlowObject, property: string): string | undefined => {
  const type = node[`${property}Type`];
  const value = node[property];
  return (type === undefined || type === 'str') && typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

export function odooCalls(node: FlowObject): OdooCall[] {
  if (node.type === 'odoo-read') {
    const model = literal(node, 'model');
    const operation = typeof node.operation === 'string' ? node.operation : 'search_read';
    return model ? [{ model, method: operation }] : [];
  }
  if (node.type === 'odoo-write') return writeCalls(node);
  return [];
}

function writeCalls(node: FlowObject): OdooCall[] {
  const model = literal(node, 'model');
  if (!model) return [];
  const calls: OdooCall[] = [];
  const on = (m: string, method: string): void => {
    calls.push({ model: m, method });
  };
  switch (node.operation ?? 'create') {
    case 'upsert':
      // The lookup finds an existing record by its key; then the record is created or updated.
      if (node.keyType === 'xmlid') {
        on('ir.model.data', 'search_read');
        on('ir.model.data', 'create');
      } else {
        on(model, 'search_read');
      }
      on(model, 'create');
      on(model, 'write');
      break;
    case 'call': {
      // A precondition first searches for the records that still match it.
      if (typeof node.precondition === 'string' && node.precondition.trim() !== '') on(model, 'search');
      const method = literal(node, 'method');
      if (method) on(model, method);
      break;
    }
    case 'create':
    case 'write':
    case 'unlink':
      on(model, node.operation as string);
      break;
  }
  if (node.postCorrelation === true) on(model, 'message_post');
  return calls;
}
