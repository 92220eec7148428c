import { describe, expect, it } from 'vitest';
import { processMatches, processQuorumUp } from './process-match.ts';

const p = (comm: string, ...argv: string[]) => ({ comm, argv });

describe('vrrp_track_process matching', () => {
  it('matches the name against comm (15 chars) or argv[0]\'s basename', () => {
    expect(processMatches({ process: 'haproxy', fullCommand: false }, p('haproxy', '/usr/sbin/haproxy', '-f', 'x'))).toBe(true);
    expect(processMatches({ process: 'haproxy', fullCommand: false }, p('nginx', '/usr/sbin/nginx'))).toBe(false);
    expect(processMatches({ process: 'a-very-long-daemon-name', fullCommand: false }, p('a-very-long-dae', '/opt/a-very-long-daemon-name'))).toBe(true);
    expect(processMatches({ process: '/usr/sbin/haproxy', fullCommand: true }, p('haproxy', '/usr/sbin/haproxy'))).toBe(true);
    expect(processMatches({ process: 'haproxy', fullCommand: true }, p('haproxy', '/usr/sbin/haproxy'))).toBe(false);
  });

  it('matches parameters exactly, as a prefix (initial) or anywhere (partial)', () => {
    const proc = p('nginx', 'nginx', '-c', '/etc/nginx.conf', '-g', 'daemon off;');
    expect(processMatches({ process: 'nginx -c /etc/nginx.conf', fullCommand: false }, proc)).toBe(false);
    expect(processMatches({ process: 'nginx -c /etc/nginx.conf', paramMatch: 'initial', fullCommand: false }, proc)).toBe(true);
    expect(processMatches({ process: 'nginx /etc/nginx.conf -g', paramMatch: 'partial', fullCommand: false }, proc)).toBe(true);
    expect(processMatches({ process: 'nginx -c /etc/nginx.conf -g daemon', fullCommand: false }, proc)).toBe(false);
  });

  it('is up while quorum <= count <= quorum_max', () => {
    expect(processQuorumUp({ quorum: 2 }, 1)).toBe(false);
    expect(processQuorumUp({ quorum: 2 }, 5)).toBe(true);
    expect(processQuorumUp({ quorum: 1, quorumMax: 3 }, 4)).toBe(false);
  });
});
