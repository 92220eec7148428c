export * from './append.ts';
export * from './list.ts';
export * from './verify.ts';
export * from './chain.ts';
export * from './checkpoint.ts';
export * from './notify.ts';
