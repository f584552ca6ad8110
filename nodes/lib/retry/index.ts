export * from './classify';
export * from './policy';
export * from './plan';
export * from './serialize';
export * from './controller';
