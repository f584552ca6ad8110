/**
 * What the canonical-mapper node does with one payload, without Node-RED: validate the input (to-Odoo presets),
 * map (preset or compiled rules), validate the output (chosen schema). Built once per deploy; `run` stays
 * synchronous when the mapping and validation are (custom rules without JSONata), so the hot path has no
 * promise at all.
 */
import * as fs from 'node:fs';
import { ValidationError } from '../errors';
import { compileMapping, type CompileOptions } from '../mapper/compile';
import type { FieldError, MappingResult, MappingRule } from '../mapper/types';
import type { SchemaValidator } from '../mapper/validate';
import { findPreset, PRESETS, type Preset } from './presets';
import type { OdooResolver } from './resolver';
import { resolveSchemaFile } from './schema-files';
import { canonicalRegistry, describeSchemaId } from './schemas';

export type SchemaChoice =
  | { type: 'none' }
  /** `value` is a bundled schema `$id`; empty means the preset's own output schema. */
  | { type: 'canonical'; value?: string }
  /** A JSON Schema file under `<baseDir>/schemas/` (baseDir: Node-RED's user directory) or the package's `schemas/`. */
  | { type: 'file'; value: string }
  | { type: 'inline'; value: string | Record<string, unknown> };

export interface EngineConfig {
  mode: 'preset' | 'rules';
  preset?: string;
  rules?: MappingRule[];
  schema?: SchemaChoice;
  baseDir?: string;
  defaultCurrency?: string;
}

export interface EngineDeps {
  /** Needed by presets that resolve partners/products; absent means no Odoo connection configured. */
  resolver?: OdooResolver;
  compile?: CompileOptions;
}

export type Stage = 'input' | 'mapping' | 'output';

export type EngineResult =
  | { ok: true; output: Record<string, unknown>; canonical: CanonicalInfo }
  | { ok: false; stage: Stage; errors: FieldError[]; output?: Record<string, unknown> };

export interface CanonicalInfo {
  schema: string;
  version: string;
  preset?: string;
  model?: string;
}

export interface MapperEngine {
  run(input: unknown): EngineResult | Promise<EngineResult>;
  readonly preset?: Preset;
}

const isThenable = (v: unknown): v is Promise<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';

/** Throws a ValidationError (bad preset, schema or missing connection) or MappingCompileError (bad rules). */
export function createMapperEngine(config: EngineConfig, deps: EngineDeps = {}): MapperEngine {
  let map: (input: unknown) => MappingResult | Promise<MappingResult>;
  let preset: Preset | undefined;
  let inputValidator: SchemaValidator | undefined;
  if (config.mode === 'preset') {
    preset = findPreset(config.preset ?? '');
    if (!preset) {
      throw new ValidationError(`preset: expected one of ${PRESETS.map((p) => p.id).join(', ')}, got '${config.preset ?? ''}'`, { property: 'preset' });
    }
    if (preset.odoo === 'required' && !deps.resolver) {
      throw new ValidationError(`preset '${preset.id}' needs an Odoo connection to resolve partners and products`, { property: 'connection' });
    }
    const chosen = preset;
    const ctx = { resolver: deps.resolver, defaultCurrency: config.defaultCurrency || undefined };
    map = (input) => chosen.run(input, ctx);
    if (chosen.inputSchema) inputValidator = canonicalRegistry().get(chosen.inputSchema);
  } else if (config.mode === 'rules') {
    map = compileMapping(config.rules ?? [], deps.compile);
  } else {
    throw new ValidationError(`mode: expected 'preset' or 'rules', got '${String(config.mode)}'`, { property: 'mode' });
  }
  const outputValidator = resolveSchema(config.schema ?? { type: 'canonical' }, preset, config.baseDir);
  const describedBy = outputValidator ?? inputValidator;
  const canonical: CanonicalInfo = {
    ...(describedBy ? describeSchemaId(describedBy.id) : { schema: preset?.model ?? 'custom', version: '' }),
    ...(preset ? { preset: preset.id } : {}),
    ...(preset?.model ? { model: preset.model } : {}),
  };

  const finish = (result: MappingResult): EngineResult => {
    const schemaErrors = outputValidator ? outputValidator.validate(result.output) : [];
    if (result.errors.length > 0) {
      // Report the whole picture: the fields that failed to map, plus schema problems of the other fields.
      const failed = result.errors;
      const more = schemaErrors.filter((e) => !failed.some((f) => e.path === f.path || e.path.startsWith(`${f.path}.`) || e.path.startsWith(`${f.path}[`)));
      return { ok: false, stage: 'mapping', errors: [...failed, ...more], output: result.output };
    }
    if (schemaErrors.length > 0) return { ok: false, stage: 'output', errors: schemaErrors, output: result.output };
    return { ok: true, output: result.output, canonical };
  };

  return {
    preset,
    run(input) {
      if (inputValidator) {
        const errors = inputValidator.validate(input);
        if (errors.length > 0) return { ok: false, stage: 'input', errors };
      }
      const mapped = map(input);
      return isThenable(mapped) ? mapped.then(finish) : finish(mapped);
    },
  };
}

function resolveSchema(choice: SchemaChoice, preset: Preset | undefined, baseDir: string | undefined): SchemaValidator | undefined {
  const registry = canonicalRegistry();
  switch (choice.type) {
    case 'none':
      return undefined;
    case 'canonical': {
      const id = choice.value || preset?.outputSchema;
      if (!id) return undefined;
      if (!registry.has(id)) throw new ValidationError(`schema: unknown canonical schema '${id}' (known: ${registry.ids().join(', ')})`, { property: 'schema' });
      return registry.get(id);
    }
    case 'file': {
      const file = resolveSchemaFile(choice.value, baseDir ?? process.cwd());
      let doc: unknown;
      try {
        doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw new ValidationError(`schema: cannot read JSON Schema file '${choice.value}': ${(err as Error).message}`, { property: 'schema', file: choice.value });
      }
      return compileUserSchema(doc, `file '${choice.value}'`);
    }
    case 'inline': {
      let doc: unknown = choice.value;
      if (typeof doc === 'string') {
        try {
          doc = JSON.parse(doc);
        } catch (err) {
          throw new ValidationError(`schema: inline schema is not valid JSON: ${(err as Error).message}`, { property: 'schema' });
        }
      }
      return compileUserSchema(doc, 'inline schema');
    }
    default:
      throw new ValidationError(`schema: expected type none, canonical, file or inline, got '${String((choice as { type?: unknown }).type)}'`, { property: 'schema' });
  }
}

function compileUserSchema(doc: unknown, where: string): SchemaValidator {
  try {
    return canonicalRegistry().compile(doc as Record<string, unknown>);
  } catch (err) {
    throw new ValidationError(`schema: ${where} is not a usable JSON Schema: ${(err as Error).message}`, { property: 'schema' });
  }
}
