export { suggestMapping, toMappingRules, type Suggestion, type SuggestResult, type SuggestOptions, type UnmappedTarget } from './suggest';
export { targetFromJsonSchema, targetFromFieldsGet, type Target, type TargetField, type OdooFieldInfo } from './targets';
export { tokenize } from './tokens';
export { detectKind, type ValueKind } from './detect';
export { odooTarget } from './odoo-target';
export { suggestFromRequest, type SuggestDeps } from './request';
