/**
 * MISC_CHECK `user name[:group]`: the uid and gid to run the script as. keepalived uses
 * getpwnam/getgrnam; Node has neither, so the local files are read first and `getent` (which
 * asks NSS: LDAP, sssd, ...) is the fallback. Without a group the user's primary group is used.
 * Supplementary groups are dropped (Node's spawn cannot set them).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface RunAs {
  uid: number;
  gid: number;
}

/** Finds `name` in passwd/group text (name:x:uid:gid:... / name:x:gid:...). */
export function findEntry(text: string, name: string): string[] | undefined {
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 3) return fields;
  }
  return undefined;
}

async function lookup(db: 'passwd' | 'group', name: string): Promise<string[] | undefined> {
  const local = await readFile(`/etc/${db}`, 'utf8').then((t) => findEntry(t, name), () => undefined);
  if (local) return local;
  return new Promise((resolve) => {
    execFile('getent', [db, name], { timeout: 5000 }, (err, stdout) => resolve(err ? undefined : findEntry(String(stdout), name)));
  });
}

/** Resolves "user[:group]" to ids, or an error string naming what is unknown. */
export async function resolveRunAs(spec: string): Promise<RunAs | string> {
  const [user, group] = spec.split(':') as [string, string | undefined];
  const pw = await lookup('passwd', user);
  if (!pw) return `user "${user}" not found`;
  const uid = Number(pw[2]);
  let gid = Number(pw[3]);
  if (group) {
    const gr = await lookup('group', group);
    if (!gr) return `group "${group}" not found`;
    gid = Number(gr[2]);
  }
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) return `bad passwd/group entry for "${spec}"`;
  return { uid, gid };
}
