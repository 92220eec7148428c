export * from './append.ts';
export * from './list.ts';
export * from './verify.ts';
export * from './chain.ts';
