// Worker-thread entry: sources are TypeScript run through tsx's loader (as in agent/bin/vigil.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
