import { createHash, randomBytes } from 'node:crypto';

/**
 * Secrets are 32 random bytes with a type prefix (`vgl_` API token, `vge_` enrollment token,
 * `vga_` agent credential) so a leaked one is recognisable in logs and by secret scanners.
 * Only SHA-256 digests are stored: the secrets have 256 bits of entropy, so a slow KDF would
 * add cost on every request without adding safety.
 */
export type SecretKind = 'vgl' | 'vge' | 'vga';

export function newSecret(kind: SecretKind): string {
  return `${kind}_${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
