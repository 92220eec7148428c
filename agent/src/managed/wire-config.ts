/**
 * The resolved config as the wire contract parses it (optional fields absent) to the runtime's
 * type (the same fields present, maybe undefined): an explicit conversion, no cast, so a field
 * the two shapes disagree on is a compile error here.
 */
import type { z } from 'zod';
import type { ResolvedDirectorConfig, ResolvedVrrpInstance } from '../../../schema/src/spec/resolve.ts';
import type { ResolvedDirectorConfigWire } from '../../../schema/src/wire/index.ts';

type Wire = z.output<typeof ResolvedDirectorConfigWire>;

export function resolvedFromWire(w: Wire): ResolvedDirectorConfig {
  const instances: Record<string, ResolvedVrrpInstance> = {};
  for (const [name, i] of Object.entries(w.instances)) {
    instances[name] = { ...i, interface: i.interface, auth: i.auth, notify: i.notify, syncGroup: i.syncGroup };
  }
  return { ...w, routerId: w.routerId, instances };
}
