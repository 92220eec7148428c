export * from './schemas.ts';
export * from './secrets.ts';
export * from './api-tokens.ts';
export * from './authenticate.ts';
export * from './bootstrap.ts';
export * from './enrollment.ts';
