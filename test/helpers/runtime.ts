/** Shared set-up for node tests: a real Node-RED runtime (4.1 by default, 5.x when NODE_RED_PATH points at it). */
import helper from 'node-red-node-test-helper';

export function initRuntime(): void {
  helper.init(process.env.NODE_RED_PATH ?? require.resolve('node-red'));
}

export { helper };
