export * from './sites.ts';
export * from './clusters.ts';
export * from './directors.ts';
export * from './spec-revisions.ts';
export * from './tokens.ts';
export * from './events.ts';
