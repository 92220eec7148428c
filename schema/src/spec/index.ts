/** The cluster spec (desired-state language): shapes, parsing, effective per-director view. */
export * from './ip.ts';
export * from './primitives.ts';
export * from './tracking.ts';
export * from './vrrp-instance.ts';
export * from './checkers.ts';
export * from './lvs.ts';
export * from './global.ts';
export * from './effective.ts';
export * from './cluster.ts';
export * from './parse.ts';
export * from './example.ts';
export * from './resolve.ts';
export * from './diff.ts';
export * from './advert-key.ts';
