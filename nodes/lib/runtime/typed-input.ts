import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { ValidationError } from '../errors';

/**
 * Evaluates a typedInput value (str, num, json, msg, flow, global, env, jsonata...) as a promise; an empty
 * string/JSON value is `undefined`. The callback form is used because JSONata and persistent context stores
 * answer asynchronously. A failure is a ValidationError naming `property`.
 */
export function evaluateTypedInput(
  RED: NodeAPI,
  node: Node,
  property: string,
  value: string | undefined,
  type: string | undefined,
  msg: NodeMessage,
): Promise<unknown> {
  const effectiveType = type || 'str';
  if (value === undefined || (value === '' && (effectiveType === 'str' || effectiveType === 'json'))) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    try {
      RED.util.evaluateNodeProperty(value, effectiveType, node, msg, (err: Error | null, result: unknown) => {
        if (err) reject(new ValidationError(`Could not evaluate ${property} (${effectiveType} "${value}"): ${err.message}`, { property }));
        else resolve(result);
      });
    } catch (err) {
      reject(new ValidationError(`Could not evaluate ${property} (${effectiveType} "${value}"): ${(err as Error).message}`, { property }));
    }
  });
}
