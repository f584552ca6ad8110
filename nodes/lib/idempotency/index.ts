export * from './canonical';
export * from './key';
export * from './guard';
export { parsePath, readPath } from './path';
