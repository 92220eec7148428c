// The agent ↔ control-plane wire contract: every message both ends exchange, as zod schemas
// both ends parse with. Keep this a plain list of re-exports.
export * from './bounded.ts';
export * from './events.ts';
export * from './status.ts';
export * from './report.ts';
export * from './frames.ts';
export * from './config-view.ts';
export * from './resolved-config.ts';
