export * from './delivery';
export * from './settings';
