import type { LintRule } from '../types';
import { connectionPolicy } from './connection-policy';
import { functionExternalModules } from './function-external-modules';
import { httpInUnauthenticated } from './http-in-unauthenticated';
import { productionPlainHttp } from './production-plain-http';
import { secretInFlow } from './secret-in-flow';
import { webhookUnsigned } from './webhook-unsigned';
import { writeUnprotected } from './write-unprotected';

/** Every rule, in the order the README's table lists them. */
export const RULES: readonly LintRule[] = [
  secretInFlow,
  webhookUnsigned,
  writeUnprotected,
  connectionPolicy,
  productionPlainHttp,
  functionExternalModules,
  httpInUnauthenticated,
];
