/**
 * The key that anchors the audit log outside the database. Ed25519; held in a key file (mode
 * 0600, created on first start) or given as an environment secret (VIGIL_AUDIT_KEY, a PKCS#8
 * PEM) so that every replica signs with the same key. The newest checkpoint is also kept in a
 * witness file beside the key: someone with only database access can delete checkpoint rows,
 * but not that file, nor the log lines each checkpoint was written to.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync, closeSync, renameSync, fsyncSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Checkpoint {
  eventId: number;
  hash: string;
  createdAt: string;
  keyId: string;
  signature: string;
}

export class AuditKeyError extends Error {}

/** What is signed: a fixed, versioned text, so the signature means one thing. */
export function checkpointMessage(c: Pick<Checkpoint, 'eventId' | 'hash' | 'createdAt'>): Buffer {
  return Buffer.from(`vigil-audit-checkpoint:v1\n${c.eventId}\n${c.hash}\n${c.createdAt}\n`);
}

export class AuditSigner {
  readonly keyId: string;
  readonly publicKeyPem: string;
  private readonly publicKey: KeyObject;

  private constructor(private readonly privateKey: KeyObject, readonly witnessPath: string | undefined) {
    this.publicKey = createPublicKey(privateKey);
    this.publicKeyPem = this.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.keyId = createHash('sha256').update(this.publicKey.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
  }

  /**
   * From the environment secret if set, else the key file (created 0600 if missing; refused
   * when group or others can read it).
   */
  static load(o: { envKey?: string; keyFile: string }): AuditSigner {
    if (o.envKey) {
      let key: KeyObject;
      try {
        key = createPrivateKey(o.envKey.includes('BEGIN') ? o.envKey : Buffer.from(o.envKey, 'base64').toString());
      } catch (e) {
        throw new AuditKeyError(`VIGIL_AUDIT_KEY: not a PKCS#8 PEM private key (${(e as Error).message})`);
      }
      if (key.asymmetricKeyType !== 'ed25519') throw new AuditKeyError(`VIGIL_AUDIT_KEY: an Ed25519 key is needed, got ${key.asymmetricKeyType}`);
      return new AuditSigner(key, join(dirname(o.keyFile), 'audit-witness.json'));
    }
    mkdirSync(dirname(o.keyFile), { recursive: true, mode: 0o700 });
    if (!existsSync(o.keyFile)) {
      // Written aside, then linked into place: replicas starting together on one data dir must
      // neither read a half-written key nor fail on the other's file. link(2) fails with EEXIST
      // when another process got there first; its key is complete, and it is the one used.
      const { privateKey } = generateKeyPairSync('ed25519');
      const tmp = `${o.keyFile}.${process.pid}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      try {
        linkSync(tmp, o.keyFile);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      } finally {
        rmSync(tmp, { force: true });
      }
    }
    const st = statSync(o.keyFile);
    if ((st.mode & 0o077) !== 0) throw new AuditKeyError(`${o.keyFile}: the audit signing key must not be readable by group or others (chmod 600 ${o.keyFile})`);
    let key: KeyObject;
    try {
      key = createPrivateKey(readFileSync(o.keyFile));
    } catch (e) {
      throw new AuditKeyError(`${o.keyFile}: not a PEM private key (${(e as Error).message})`);
    }
    if (key.asymmetricKeyType !== 'ed25519') throw new AuditKeyError(`${o.keyFile}: an Ed25519 key is needed, got ${key.asymmetricKeyType}`);
    return new AuditSigner(key, join(dirname(o.keyFile), 'audit-witness.json'));
  }

  sign(c: Pick<Checkpoint, 'eventId' | 'hash' | 'createdAt'>): Checkpoint {
    return { ...c, keyId: this.keyId, signature: sign(null, checkpointMessage(c), this.privateKey).toString('base64') };
  }

  verify(c: Checkpoint): boolean {
    if (c.keyId !== this.keyId) return false;
    try {
      return verify(null, checkpointMessage(c), this.publicKey, Buffer.from(c.signature, 'base64'));
    } catch {
      return false;
    }
  }

  /** The newest checkpoint this process (or another with the same key dir) signed. */
  readWitness(): Checkpoint | undefined {
    if (!this.witnessPath || !existsSync(this.witnessPath)) return undefined;
    try {
      return JSON.parse(readFileSync(this.witnessPath, 'utf8')) as Checkpoint;
    } catch {
      return undefined;
    }
  }

  writeWitness(c: Checkpoint): void {
    if (!this.witnessPath) return;
    const prev = this.readWitness();
    if (prev && prev.eventId > c.eventId) return; // never move the witness backwards
    const tmp = `${this.witnessPath}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    writeSync(fd, `${JSON.stringify(c)}\n`);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.witnessPath);
  }
}
