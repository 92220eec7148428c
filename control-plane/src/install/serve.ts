/**
 * What the HTTP layer needs to serve the installer: the URL policy, the TLS pin, and a request's
 * view of both (peer address, Host, forwarded headers).
 */
import type { Context } from 'hono';
import { agentBundle } from '../agent-bundle.ts';
import type { AppEnv } from '../http/env.ts';
import { AppError } from '../errors.ts';
import { installCommand, type InstallCommand } from './command.ts';
import { baseUrlFor, type UrlPolicy } from './public-url.ts';
import { installScript } from './script.ts';

export interface InstallSettings {
  policy: UrlPolicy;
  /** `sha256//<base64 SPKI hash>` of the server certificate, when serving HTTPS. */
  tlsPin?: string;
  selfSigned?: boolean;
  /** The self-signed certificate, embedded in the script for the agent to trust. */
  caPem?: string;
}

export const defaultInstallSettings: InstallSettings = { policy: { trustedProxies: [], scheme: 'http' } };

/** The peer address of the connection (undefined in-process, e.g. app.request in tests). */
function peerOf(c: Context<AppEnv>): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

export function baseUrl(c: Context<AppEnv>, s: InstallSettings): string {
  const r = baseUrlFor(s.policy, { host: c.req.header('host') ?? new URL(c.req.url).host, forwardedHost: c.req.header('x-forwarded-host'), forwardedProto: c.req.header('x-forwarded-proto'), forwardedPrefix: c.req.header('x-forwarded-prefix'), peer: peerOf(c) });
  if (!r.ok) throw new AppError('VALIDATION', r.message);
  return r.url;
}

export async function scriptFor(c: Context<AppEnv>, s: InstallSettings): Promise<string> {
  const b = await agentBundle();
  return installScript({ url: baseUrl(c, s), sha256: b.sha256, tlsPin: s.tlsPin, selfSigned: s.selfSigned, caPem: s.caPem });
}

export async function commandFor(c: Context<AppEnv>, s: InstallSettings, token: string, target: { cluster?: string | null; director?: string | null }): Promise<InstallCommand> {
  const b = await agentBundle();
  return installCommand({ url: baseUrl(c, s), sha256: b.sha256, tlsPin: s.tlsPin, selfSigned: s.selfSigned, caPem: s.caPem, token, cluster: target.cluster ?? undefined, director: target.director ?? undefined });
}
