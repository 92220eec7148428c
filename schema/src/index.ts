// The shared schema package (#schema): the cluster spec language and its fleet rules.
// Keep this a plain list of re-exports.
export * from './spec/index.ts';
export * from './fleet/index.ts';
