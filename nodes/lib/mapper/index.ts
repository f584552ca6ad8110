export * from './types';
export { compileMapping, runMapping, MappingCompileError, type CompileProblem, type CompileOptions, type JsonataExpression } from './compile';
export { parsePath, formatPath } from './paths';
export { createSchemaRegistry, type SchemaRegistry, type SchemaValidator } from './validate';
export * as values from './values';
