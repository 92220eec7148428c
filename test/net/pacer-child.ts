/**
 * Runs in a lab namespace (see advert-pacer.test.ts): paces a VRRPv3 advert every 50 ms from a
 * real VRRP socket, then unpaces, then paces again and closes the socket. Prints one JSON line
 * per phase with the pacer's own count, the phase's start/end wall times and the CPU it took.
 */
import { encodeAdvert } from '../../agent/src/vrrp/packet.ts';
import { openVrrpSocket } from '../../agent/src/os/vrrp-socket.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const wall = () => performance.timeOrigin + performance.now();
const r = openVrrpSocket({ family: 4, ifname: 'eth0' });
if (!r.ok) throw new Error(r.message);
const sock = r.value as typeof r.value & { pacedCount(key: string): number | undefined };
const src = sock.localAddress('224.0.0.18')!;
const bytes = encodeAdvert({ version: 3, family: 'ipv4', vrid: 77, priority: 150, advertIntervalMs: 50, addresses: ['192.0.2.77'], authType: 'none', authData: new Uint8Array(0) }, { srcAddress: src, dstAddress: '224.0.0.18' });
const first = performance.now() + 200;
const cpu0 = process.cpuUsage();
sock.pace!('a', bytes, '224.0.0.18', first, 50);
await sleep(1200);
const sent = sock.pacedCount('a');
sock.unpace!('a');
const cpu = process.cpuUsage(cpu0);
// cpuMs: the whole process's CPU while paced (the pacer thread's included).
console.log(JSON.stringify({ phase: 'paced', firstAt: performance.timeOrigin + first, sent, stoppedAt: wall(), cpuMs: (cpu.user + cpu.system) / 1000 }));
await sleep(300);
sock.pace!('b', bytes, '224.0.0.18', performance.now() + 20, 50);
await sleep(300);
sock.close();
console.log(JSON.stringify({ phase: 'closed', closedAt: wall() }));
await sleep(300);
