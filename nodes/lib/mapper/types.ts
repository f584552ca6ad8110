/** The mapping language: a list of rules, each writing one target field from one source through transforms. */
export type Source =
  | { kind: 'path'; path: string }
  | { kind: 'const'; value: unknown }
  | { kind: 'jsonata'; expr: string };

export type SimpleTransformName =
  | 'string'
  | 'trim'
  | 'lower'
  | 'upper'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'odooDate'
  | 'odooDatetime'
  | 'currency';

export type TransformSpec =
  | SimpleTransformName
  | { type: SimpleTransformName }
  /** Rounds to the currency's decimals (ISO 4217) and parses "1.234,56" / "1,234.56". */
  | { type: 'currency'; currency?: string; decimals?: number; decimalSeparator?: '.' | ',' }
  | { type: 'lookup'; table: Record<string, unknown>; default?: unknown }
  | { type: 'default'; value: unknown }
  | { type: 'concat'; sources: Source[]; separator?: string }
  | { type: 'split'; separator: string }
  | { type: 'map'; rules: MappingRule[] };

export interface MappingRule {
  /** Where the value goes in the output: `customer.email`, `lines[0].sku`. */
  target: string;
  source: Source;
  transforms?: TransformSpec[];
}

/** One problem with one field of one message; `path` is the target path (`lines[2].quantity`). */
export interface FieldError {
  path: string;
  message: string;
}

export interface MappingResult {
  output: Record<string, unknown>;
  errors: FieldError[];
}

/** What a rule list compiles to: synchronous unless a JSONata source is involved. */
export interface CompiledMapping {
  (input: unknown): MappingResult | Promise<MappingResult>;
  /** True when some rule evaluates JSONata, so results arrive as promises. */
  readonly async: boolean;
}
