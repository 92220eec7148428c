export * from './schemas.ts';
export * from './create.ts';
export * from './read.ts';
export * from './delete.ts';
