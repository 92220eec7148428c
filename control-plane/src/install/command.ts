/**
 * The exact command an operator pastes on a director, returned with every enrollment token: it
 * downloads the script, checks the script's SHA-256 before running it (so the one-liner is
 * verifiable even when the script travels over an untrusted path), and hands the token over
 * stdin. With a self-signed certificate, curl skips CA verification and pins the key instead.
 */
import { createHash } from 'node:crypto';
import { installScript, type InstallScriptInput } from './script.ts';
import { shellQuote } from './public-url.ts';

export interface InstallCommand {
  command: string;
  scriptSha256: string;
  bundleSha256: string;
  tlsPin?: string;
  note: string;
}

export function installCommand(o: InstallScriptInput & { token: string; cluster?: string; director?: string }): InstallCommand {
  const script = installScript(o);
  const scriptSha256 = createHash('sha256').update(script).digest('hex');
  const curlTls = o.tlsPin ? `${o.selfSigned ? '-k ' : ''}--pinnedpubkey ${shellQuote(o.tlsPin)} ` : '';
  const target = `--cluster ${o.cluster ? shellQuote(o.cluster) : 'CLUSTER'} --director ${o.director ? shellQuote(o.director) : 'DIRECTOR'}`;
  const command = [
    `curl -fsSL ${curlTls}${shellQuote(`${o.url}/install.sh`)} -o vigil-install.sh`,
    `echo ${shellQuote(`${scriptSha256}  vigil-install.sh`)} | sha256sum -c -`,
    `printf '%s\\n' ${shellQuote(o.token)} | sh vigil-install.sh --token-stdin ${target}`,
  ].join(' && ');
  const note = [
    'Run as root on the director.',
    o.cluster ? '' : 'Replace CLUSTER and DIRECTOR with the cluster and this director\'s names.',
    o.url.startsWith('http://') ? 'The control plane is served over plain HTTP: the checksum proves the script matches what this response promised, but give the control plane a certificate (--tls-cert/--tls-key) so the response itself cannot be altered on the way.' : '',
  ].filter(Boolean).join(' ');
  return { command, scriptSha256, bundleSha256: o.sha256, ...(o.tlsPin ? { tlsPin: o.tlsPin } : {}), note };
}
