import { describe, expect, it } from 'vitest';
import { buildRequest, headerEnd, parseContentLength, parseStatusCode } from './http-message.ts';
import { formatStatusCodes, statusAccepted } from './status-codes.ts';

describe('the HTTP_GET request (keepalived request_template)', () => {
  it('HTTP/1.0 with the address and port as Host by default', () => {
    expect(buildRequest({ path: '/health', address: '192.0.2.1', port: 8080 })).toBe(
      'GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.1:8080\r\n\r\n',
    );
  });

  it('1.0C and 1.1 add Connection: close; a virtualhost replaces address:port', () => {
    expect(buildRequest({ path: '/', protocol: '1.0C', virtualhost: 'www.example.com', address: '192.0.2.1', port: 80 })).toBe(
      'GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n',
    );
    expect(buildRequest({ path: '/x?y=1', protocol: '1.1', address: '192.0.2.1', port: 80 })).toMatch(/^GET \/x\?y=1 HTTP\/1\.1\r\n.*Connection: close\r\n/s);
  });

  it('brackets an IPv6 address in Host (RFC 2732) and drops a zone', () => {
    expect(buildRequest({ path: '/', address: 'fe80::1%eth0', port: 80 })).toContain('Host: [fe80::1]:80\r\n');
  });
});

describe('reading the response header', () => {
  it('finds the end of the header', () => {
    expect(headerEnd(Buffer.from('HTTP/1.0 200 OK\r\nA: b\r\n\r\nbody'))).toBe(25);
    expect(headerEnd(Buffer.from('HTTP/1.0 200 OK\r\nA: b\r\n'))).toBe(-1);
  });

  it('parses the status code like keepalived, also without a reason phrase', () => {
    expect(parseStatusCode('HTTP/1.1 503 Service Unavailable\r\n')).toBe(503);
    expect(parseStatusCode('HTTP/1.1 200\r\n')).toBe(200);
    expect(parseStatusCode('HTTP/1.1 2000 OK\r\n')).toBeUndefined();
    expect(parseStatusCode('SSH-2.0-OpenSSH\r\n')).toBeUndefined();
  });

  it('parses Content-Length case-insensitively, ignoring junk', () => {
    expect(parseContentLength('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n')).toBe(12);
    expect(parseContentLength('HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n')).toBeUndefined();
    expect(parseContentLength('HTTP/1.1 200 OK\r\n\r\n')).toBeUndefined();
  });
});

describe('status_code matching', () => {
  it('defaults to 200-299', () => {
    expect(statusAccepted(200, undefined)).toBe(true);
    expect(statusAccepted(299, [])).toBe(true);
    expect(statusAccepted(301, undefined)).toBe(false);
    expect(formatStatusCodes(undefined)).toBe('200-299');
  });

  it('matches single codes and inclusive ranges', () => {
    const codes = [200, { from: 301, to: 302 }, { from: 500, to: 500 }];
    expect([200, 301, 302, 500].map((c) => statusAccepted(c, codes))).toEqual([true, true, true, true]);
    expect([201, 300, 303, 503].map((c) => statusAccepted(c, codes))).toEqual([false, false, false, false]);
    expect(formatStatusCodes(codes)).toBe('200 301-302 500');
  });
});
