/**
 * Reads CRLF (or LF) terminated lines from a socket, one at a time, for line protocols (SMTP).
 * A line longer than `maxLine` bytes, the peer closing, or a socket error rejects the read.
 */
import type { Socket } from 'node:net';
import { ProbeError, errorText } from './connect.ts';

export class LineReader {
  private buffer = '';
  private closed: string | undefined;
  private waiter: (() => void) | undefined;

  constructor(socket: Socket, private readonly maxLine = 4096) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffer += text;
      this.wake();
    });
    socket.once('end', () => this.close('connection closed by the server'));
    socket.once('close', () => this.close('connection closed'));
    socket.once('error', (err: Error & { code?: string }) => this.close(errorText('read', err)));
  }

  /** The next line without its line ending. */
  async line(): Promise<string> {
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl).replace(/\r$/, '');
        this.buffer = this.buffer.slice(nl + 1);
        return line;
      }
      if (this.buffer.length > this.maxLine) throw new ProbeError(`line longer than ${this.maxLine} bytes`);
      if (this.closed) throw new ProbeError(this.closed);
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private close(why: string): void {
    this.closed ??= why;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
