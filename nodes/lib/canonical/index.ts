export * from './schemas';
export { createOdooResolver, type OdooResolver, type PartyReference, type ResolverOptions } from './resolver';
export { PRESETS, PRESET_SAMPLES, findPreset, type Preset, type PresetContext } from './presets';
export { createMapperEngine, type EngineConfig, type EngineDeps, type EngineResult, type MapperEngine, type SchemaChoice, type CanonicalInfo } from './engine';
