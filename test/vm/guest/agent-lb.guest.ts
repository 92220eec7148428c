/**
 * The agent's load-balancer runtime on a kernel with IPVS, inside the test VM: keepalived.conf
 * in, `auto` picks IPVS, real TCP_CHECKs against servers in the guest, and the kernel's table
 * (read with ipvsadm) follows their health: a dead server leaves, all dead brings the sorry
 * server, recovery brings them back, and stopping removes the service.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openLinuxDataPlane } from '../../../agent/src/host/data-plane.ts';
import { InProcessHealth } from '../../../agent/src/checks/in-process.ts';
import { convertToSpec } from '../../../agent/src/keepalived/convert.ts';
import { parseKeepalivedConf } from '../../../agent/src/keepalived/parser.ts';
import { HookQueue } from '../../../agent/src/runtime/hooks.ts';
import { lbPart, LbRuntime } from '../../../agent/src/runtime/lb.ts';
import { resolveDirectorConfig } from '../../../schema/src/spec/resolve.ts';
import { ipvsadmTable } from './ipvsadm.ts';

const CONF = `
global_defs {
  router_id guest
}
virtual_server 10.30.0.1 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  sorry_server 127.0.0.9 8099
  real_server 127.0.0.2 8080 {
    notify_down "/bin/echo down .2"
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
  real_server 127.0.0.3 8080 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const listen = (host: string): Promise<Server> => new Promise((resolve) => {
  const s = createServer((c) => c.end());
  s.listen(8080, host, () => resolve(s));
});
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

function service() {
  return [...ipvsadmTable()].find(([head]) => head.includes('10.30.0.1:80'))?.[1];
}

function dests(): string[] {
  const svc = service();
  return svc ? [...svc.dests.keys()].sort() : [];
}

async function until(what: string, pred: () => boolean, ms = 8000): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; kernel: ${JSON.stringify([...ipvsadmTable().keys()])} ${dests().join(' ')}`);
    await sleep(50);
  }
}

describe('agent load-balancer runtime on IPVS', () => {
  const servers: Server[] = [];
  after(async () => {
    for (const s of servers) await close(s).catch(() => undefined);
  });

  it('follows real-server health in the kernel and cleans up on stop', async () => {
    const { tree } = parseKeepalivedConf({ text: CONF });
    const { validSpec, director } = convertToSpec(tree, { file: 'keepalived.conf' });
    assert.ok(validSpec);
    const config = resolveDirectorConfig(validSpec, director);
    const dp = await openLinuxDataPlane('auto', mkdtempSync(join(tmpdir(), 'vigil-lb-')), config.global.lvsFlush, () => {});
    assert.ok(dp.ok, dp.ok ? '' : dp.message);
    assert.equal(dp.value.name, 'IPVS');
    const hooks: string[] = [];
    const notify = new HookQueue({ async run(cmd, args) { hooks.push([cmd, ...args].join(' ')); return { code: 0, timedOut: false }; } }, () => {});
    const lb = new LbRuntime({ dataPlane: dp.value, health: new InProcessHealth(), notify, log: () => {} });
    const s2 = await listen('127.0.0.2');
    let s3 = await listen('127.0.0.3');
    servers.push(s2, s3);
    await lb.start(lbPart(config));
    assert.deepEqual(dests(), ['127.0.0.2:8080', '127.0.0.3:8080']);

    await close(s3);
    await until('127.0.0.3 out of the kernel table', () => dests().join() === '127.0.0.2:8080');
    await close(s2);
    await until('the sorry server alone', () => dests().join() === '127.0.0.9:8099');
    await notify.drain();
    assert.ok(hooks.includes('/bin/echo down .2'), hooks.join('; '));

    s3 = await listen('127.0.0.3');
    servers.push(s3);
    await until('127.0.0.3 back', () => dests().join() === '127.0.0.3:8080');
    const st = lb.status();
    assert.deepEqual(st.map((r) => [r.address, r.up]), [['127.0.0.2', false], ['127.0.0.3', true]]);

    await lb.stop();
    assert.equal(service(), undefined, 'stop removes the service Vigil created');
  });
});
