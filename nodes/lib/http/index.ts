/** What this package offers a Node-RED settings file: `httpNodeMiddleware: jsonBodyGuard()`. */
export { jsonBodyGuard, type JsonBodyGuardOptions } from './json-body-guard';
export { DEFAULT_MAX_JSON_DEPTH, JsonDepthError, jsonTextTooDeep, valueTooDeep } from './json-depth';
