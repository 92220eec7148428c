import { describe, expect, it } from 'vitest';
import { globalConfig } from 'zod/v4/core';
import { z } from 'zod';
import { zodWithoutJit } from './main.ts';

describe('zodWithoutJit', () => {
  it('turns off the zod JIT through the global zod reads (same object as z.config)', () => {
    const before = globalConfig.jitless;
    try {
      zodWithoutJit();
      expect(globalConfig.jitless).toBe(true);
      // Schemas still parse and reject the same way without it.
      const s = z.strictObject({ a: z.number().int(), b: z.string().optional() });
      expect(s.parse({ a: 1 })).toEqual({ a: 1 });
      expect(s.safeParse({ a: 1.5 }).success).toBe(false);
      expect(s.safeParse({ a: 1, c: 2 }).success).toBe(false);
    } finally {
      globalConfig.jitless = before;
    }
  });
});
