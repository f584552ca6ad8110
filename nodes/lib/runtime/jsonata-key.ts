import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { JsonataEvaluator } from '../idempotency';

/** Node-RED's JSONata (with $env, $flowContext and friends) for idempotency keys evaluated on `node`. */
export function nodeRedJsonata(RED: NodeAPI, node: Node): (expression: string) => JsonataEvaluator {
  return (expression) => {
    const prepared = RED.util.prepareJSONataExpression(expression, node);
    return (msg) =>
      new Promise((resolve, reject) => {
        RED.util.evaluateJSONataExpression(prepared, msg as NodeMessage, (err, value: unknown) => (err ? reject(err) : resolve(value)));
      });
  };
}
