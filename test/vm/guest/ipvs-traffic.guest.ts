/**
 * Real TCP through IPVS, programmed by Vigil: loopback NAT (client and backends in one stack)
 * and the classic LVS-NAT topology (client netns -> director -> backend netns over veth).
 * Stats are read back through the genl dump. Runs only inside the test VM.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { lbStatus } from '../../../agent/src/lb/stats.ts';
import { destinationId, serviceId, type VirtualServerTable } from '../../../agent/src/lb/model.ts';
import { clearKernel, closeIpvs, dest, ipvs, service, sync, tcp } from './support.ts';

const P = `vg${process.pid}`;
const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { encoding: 'utf8' });
const batch = (ns: string | undefined, lines: string[]) =>
  execFileSync('ip', [...(ns ? ['-n', ns] : []), '-batch', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });

function get(host: string, port: number): Promise<string> {
  return new Promise((res, rej) => {
    const req = request({ host, port, path: '/', agent: false, timeout: 5000 }, (r) => {
      let body = '';
      r.on('data', (c: Buffer) => (body += c.toString()));
      r.on('end', () => res(body));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}:${port} timed out`)));
    req.on('error', rej);
    req.end();
  });
}

async function statsConns(id: string, atLeast: number): Promise<{ svc: number; dests: Record<string, number> }> {
  // The kernel folds per-CPU counters into what the dump reports on its 2 s estimator tick.
  const deadline = Date.now() + 6000;
  for (;;) {
    const r = await (await ipvs()).read();
    if (!r.ok) throw new Error(r.message);
    const s = r.value.services.find((x) => serviceId(x.key) === id);
    if (s && (s.stats.conns >= atLeast || Date.now() > deadline)) {
      return { svc: s.stats.conns, dests: Object.fromEntries(s.destinations.map((d) => [destinationId(d), d.stats.conns])) };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('loopback NAT: 127.0.0.100:8080 -> two node servers', () => {
  const servers: Server[] = [];
  before(async () => {
    clearKernel();
    writeFileSync('/proc/sys/net/ipv4/vs/conntrack', '1'); // NAT on lo needs conntrack (real-kernel-tests.md)
    for (const [name, port] of [['a', 9001], ['b', 9002]] as const) {
      const s = createServer((_q, r) => r.end(name));
      await new Promise<void>((res) => s.listen(port, '127.0.0.1', res));
      servers.push(s);
    }
  });
  after(() => { for (const s of servers) s.close(); clearKernel(); closeIpvs(); });

  it('rr alternates, weight 0 drains, stats count the connections', async () => {
    const vip = tcp('127.0.0.100', 8080);
    const want: VirtualServerTable = { services: [service(vip, { scheduler: 'rr', destinations: [dest('127.0.0.1', 9001), dest('127.0.0.1', 9002)] })] };
    assert.deepEqual((await sync(want)).failed, []);
    const first: string[] = [];
    for (let i = 0; i < 4; i++) first.push(await get('127.0.0.100', 8080));
    assert.deepEqual([...first].sort(), ['a', 'a', 'b', 'b']);
    assert.notEqual(first[0], first[1]);
    want.services[0]!.destinations[1]!.weight = 0;
    assert.deepEqual((await sync(want)).applied.map((o) => o.op), ['edit-destination']);
    const drained: string[] = [];
    for (let i = 0; i < 4; i++) drained.push(await get('127.0.0.100', 8080));
    assert.deepEqual(drained, ['a', 'a', 'a', 'a']);
    const stats = await statsConns(serviceId(vip), 8);
    assert.equal(stats.svc, 8);
    assert.deepEqual(stats.dests, { '127.0.0.1:9001': 6, '127.0.0.1:9002': 2 });
    // The status view over the same read-back: bytes moved both ways through the VIP.
    const read = await (await ipvs()).read();
    assert.ok(read.ok);
    const [row] = lbStatus(read.value);
    assert.equal(row!.service, 'TCP 127.0.0.100:8080');
    assert.ok(row!.inBytes > 0 && row!.outBytes > 0, JSON.stringify(row));
  });
});

describe('LVS-NAT across namespaces: client -> director VIP -> backend netns', () => {
  const children: ChildProcess[] = [];
  const cl = `${P}c`;
  const be = `${P}b`;
  before(async () => {
    clearKernel();
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    writeFileSync('/proc/sys/net/ipv6/conf/all/forwarding', '1');
    // Three `ip -batch` runs instead of ~20 `ip` processes: exec is slow in UML (~0.1-0.2 s).
    batch(undefined, [
      `netns add ${cl}`, `netns add ${be}`,
      `link add ${P}x type veth peer name ${P}y netns ${cl}`,
      `link add ${P}u type veth peer name ${P}v netns ${be}`,
      `addr add 10.98.0.1/24 dev ${P}x`, `addr add 10.98.0.100/32 dev ${P}x`, // .100 is the VIP
      `addr add 10.99.0.1/24 dev ${P}u`, `link set ${P}x up`, `link set ${P}u up`,
      // IPv6 twins; nodad: no 1-2 s of tentative addresses before the first connect.
      `addr add fd98::1/64 dev ${P}x nodad`, `addr add fd98::100/128 dev ${P}x nodad`, `addr add fd99::1/64 dev ${P}u nodad`,
    ]);
    batch(cl, [`addr add 10.98.0.2/24 dev ${P}y`, `addr add fd98::2/64 dev ${P}y nodad`, `link set ${P}y up`, 'link set lo up',
      'route add default via 10.98.0.1', 'route add default via fd98::1']);
    batch(be, [`addr add 10.99.0.2/24 dev ${P}v`, `addr add 10.99.0.3/24 dev ${P}v`, `addr add fd99::2/64 dev ${P}v nodad`, `addr add fd99::3/64 dev ${P}v nodad`,
      `link set ${P}v up`, 'link set lo up', 'route add default via 10.99.0.1', 'route add default via fd99::1']);
    // One backend process serving both addresses, answering with the address it was reached on.
    const server = "for (const a of ['10.99.0.2','10.99.0.3','fd99::2','fd99::3']) require('http').createServer((q,r)=>r.end(q.socket.localAddress)).listen(80, a); setTimeout(()=>console.log('up'), 100)";
    const c = spawn('ip', ['netns', 'exec', be, process.execPath, '-e', server], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(c);
    await new Promise<void>((res, rej) => { c.stdout!.once('data', () => res()); c.once('exit', (code) => rej(new Error(`backends exited ${code}`))); });
  });
  // A new connection per request (agent: false): IPVS schedules connections, not requests.
  function clientGets(host: string, n: number): string[] {
    const client = `const h=require('http');const get=()=>new Promise((y,n)=>h.get({host:process.argv[1],agent:false},r=>{let b='';r.on('data',c=>b+=c);r.on('end',()=>y(b))}).on('error',n));(async()=>{const o=[];for(let i=0;i<${n};i++)o.push(await get());console.log(JSON.stringify(o))})().catch(e=>{console.error(e);process.exit(1)})`;
    return JSON.parse(sh('ip', 'netns', 'exec', cl, process.execPath, '-e', client, host)) as string[];
  }

  after(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const ns of [cl, be]) { try { sh('ip', 'netns', 'del', ns); } catch { /* already gone */ } }
    clearKernel();
    closeIpvs();
  });

  it('wrr 1:2 spreads six client connections 2:4 and un-NATs the replies', async () => {
    const want: VirtualServerTable = { services: [service(tcp('10.98.0.100', 80), { scheduler: 'wrr', destinations: [dest('10.99.0.2', 80, { weight: 1 }), dest('10.99.0.3', 80, { weight: 2 })] })] };
    assert.deepEqual((await sync(want)).failed, []);
    const answers = clientGets('10.98.0.100', 6);
    assert.deepEqual(answers.filter((a) => a === '10.99.0.2').length, 2);
    assert.deepEqual(answers.filter((a) => a === '10.99.0.3').length, 4);
  });

  it('IPv6: rr over two backends, one drained to weight 0 mid-way', async () => {
    const want: VirtualServerTable = { services: [service(tcp('fd98::100', 80), { scheduler: 'rr', destinations: [dest('fd99::2', 80), dest('fd99::3', 80)] })] };
    assert.deepEqual((await sync(want)).failed, []);
    assert.deepEqual(clientGets('fd98::100', 4).sort(), ['fd99::2', 'fd99::2', 'fd99::3', 'fd99::3']);
    want.services[0]!.destinations[0]!.weight = 0;
    assert.deepEqual((await sync(want)).applied.map((o) => o.op), ['edit-destination']);
    assert.deepEqual(clientGets('fd98::100', 3), ['fd99::3', 'fd99::3', 'fd99::3']);
  });
});
