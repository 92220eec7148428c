/**
 * HTTPS for the control plane: the certificate chain and key it serves with, and what the
 * installer needs to trust it when it is self-signed (the SHA-256 of its public key, as curl's
 * `--pinnedpubkey sha256//…` takes it).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  pin: string;
  selfSigned: boolean;
  fingerprint256: string;
  /** The leaf certificate alone, PEM. */
  certPem: string;
}

export function loadTls(certFile: string, keyFile: string): TlsMaterial {
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  const leaf = new X509Certificate(cert);
  const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  const pin = `sha256//${createHash('sha256').update(spki).digest('base64')}`;
  const selfSigned = leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey);
  return { cert, key, pin, selfSigned, fingerprint256: leaf.fingerprint256, certPem: leaf.toString().replace(/\r\n/g, '\n').trimEnd() };
}
