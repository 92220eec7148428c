/**
 * SMTP_CHECK (keepalived check_smtp.c): connect, expect a 220 greeting, send
 * "HELO <helo_name>", expect 250, send "QUIT" and wait for the server's answer.
 *
 * Multi-line replies ("220-first", "220 last", RFC 5321 §4.2.1) are read to their last line;
 * keepalived looks only at the first line and so fails on a multi-line greeting.
 */
import type { SmtpCheck } from '#schema';
import { fail, ok, runProbe, type Probe } from '../probe.ts';
import { endpoint, tcpConnect } from './connect.ts';
import { LineReader } from './line-reader.ts';

/** keepalived's SMTP_DEFAULT_HELO (check_smtp.h). */
export const DEFAULT_HELO_NAME = 'smtpchecker.keepalived.org';

export const probeSmtp: Probe<SmtpCheck> = (checker, target, opts) =>
  runProbe(opts, opts.timeoutMs, async (scope) => {
    const socket = await tcpConnect(scope, endpoint(checker, target));
    const reader = new LineReader(socket);

    scope.phase('waiting for the greeting');
    const banner = await readReply(reader);
    if (banner.code !== 220) return fail(`greeting ${describe(banner)} not 220`);

    socket.write(`HELO ${checker.heloName ?? DEFAULT_HELO_NAME}\r\n`);
    scope.phase('waiting for the HELO reply');
    const helo = await readReply(reader);
    if (helo.code !== 250) return fail(`HELO reply ${describe(helo)} not 250`);

    socket.write('QUIT\r\n');
    scope.phase('waiting for the QUIT reply');
    await reader.line();
    socket.end();
    return ok();
  });

export interface SmtpReply {
  /** The reply code, or undefined when the line does not start with one. */
  code: number | undefined;
  /** The last line of the reply. */
  text: string;
}

/** Reads one reply: continuation lines "NNN-..." up to the final "NNN ..." line. */
export async function readReply(reader: Pick<LineReader, 'line'>): Promise<SmtpReply> {
  for (let lines = 0; ; lines++) {
    const line = await reader.line();
    const m = /^(\d{3})([ -]|$)/.exec(line);
    if (!m) return { code: undefined, text: line };
    if (m[2] !== '-' || lines > 100) return { code: Number(m[1]), text: line };
  }
}

function describe(reply: SmtpReply): string {
  return reply.code !== undefined ? String(reply.code) : JSON.stringify(reply.text.slice(0, 40));
}
