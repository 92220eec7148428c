export * from './schemas.ts';
export * from './apply.ts';
export * from './read.ts';
export { diffJson, type DiffEntry } from './diff.ts';
export * from './site-apply.ts';
