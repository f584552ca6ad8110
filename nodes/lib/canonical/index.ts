export * from './schemas';
export { createOdooResolver, type OdooResolver, type PartyReference, type ResolverOptions } from './resolver';
export { PRESETS, findPreset, type Preset, type PresetContext } from './presets';
