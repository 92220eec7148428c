/**
 * {@link IpvsTable} over the kernel's generic netlink family "IPVS" (net/netfilter/ipvs/ip_vs_ctl.c),
 * the interface ipvsadm itself uses; no ipvsadm at run time.
 */
import { createGenericNetlink, type GenericNetlinkSocket } from 'netlink/dist/genl/genl.js';
import type { ActualTable } from '../../lb/model.ts';
import type { IpvsOp } from '../../lb/reconcile.ts';
import type { OsResult } from '../ports.ts';
import { kernelResult, netlinkErrno } from '../rtnetlink.ts';
import { Cmd, IPVS_GENL_NAME, IPVS_GENL_VERSION, destinationAttr, destinationKeyAttr, parseDestination, parseInfo, parseService, serviceAttr, serviceKeyAttr, type IpvsInfo } from './codec.ts';
import type { IpvsTable } from './table.ts';

const NLM_F_DUMP = 0x300;
const GET_FAMILY = 3;

/** Opens a socket and resolves the family; ENOENT when ip_vs is not loaded (modprobe ip_vs). */
export async function openIpvs(): Promise<OsResult<IpvsTable>> {
  const sock = createGenericNetlink();
  try {
    const reply = await sock.ctrlRequest(GET_FAMILY, { familyName: IPVS_GENL_NAME });
    const id = reply[0]?.familyId;
    if (id === undefined) throw new Error('GETFAMILY IPVS: no family id in the reply');
    return { ok: true, value: new GenlIpvsTable(sock, id) };
  } catch (err) {
    sock.socket.close();
    const code = netlinkErrno(err);
    if (code === undefined) throw err;
    return { ok: false, code, message: `generic netlink family IPVS: ${code} (is the ip_vs module loaded?)` };
  }
}

class GenlIpvsTable implements IpvsTable {
  constructor(private readonly sock: GenericNetlinkSocket, private readonly family: number) {}

  /** One request; returns the genl payloads (after the 4-byte genl header) of the reply. */
  private async call(cmd: number, attrs: Buffer[], dump = false): Promise<Buffer[]> {
    const header = Buffer.from([cmd, IPVS_GENL_VERSION, 0, 0]);
    const [msgs] = await this.sock.socket.request(this.family, [header, ...attrs], dump ? { flags: NLM_F_DUMP } : {});
    return msgs.filter((m) => m.type === this.family).map((m) => m.data.subarray(4));
  }

  async info(): Promise<OsResult<IpvsInfo>> {
    const r = await kernelResult('IPVS GET_INFO', () => this.call(Cmd.GET_INFO, []));
    if (!r.ok) return r;
    if (!r.value?.[0]) return { ok: false, code: 'EPROTO', message: 'IPVS GET_INFO: empty reply' };
    return { ok: true, value: parseInfo(r.value[0]) };
  }

  async read(): Promise<OsResult<ActualTable>> {
    const r = await kernelResult('IPVS GET_SERVICE dump', () => this.call(Cmd.GET_SERVICE, [], true));
    if (!r.ok) return r;
    const services = (r.value ?? []).map(parseService);
    for (const s of services) {
      const d = await kernelResult('IPVS GET_DEST dump', () => this.call(Cmd.GET_DEST, [serviceKeyAttr(s.key)], true));
      // ESRCH: the service went away between the two dumps (someone else deleted it).
      if (!d.ok && d.code === 'ESRCH') continue;
      if (!d.ok) return d;
      s.destinations = (d.value ?? []).map((p) => parseDestination(p, s.key.family));
    }
    return { ok: true, value: { services } };
  }

  async apply(op: IpvsOp): Promise<OsResult> {
    const run = (what: string, cmd: number, attrs: Buffer[], tolerate: string[] = []) =>
      kernelResult(`IPVS ${what}`, () => this.call(cmd, attrs), tolerate).then((r): OsResult => (r.ok ? { ok: true, value: undefined } : r));
    switch (op.op) {
      case 'add-service': {
        const r = await run('NEW_SERVICE', Cmd.NEW_SERVICE, [serviceAttr(op.service)]);
        return !r.ok && r.code === 'EEXIST' ? run('SET_SERVICE', Cmd.SET_SERVICE, [serviceAttr(op.service)]) : r;
      }
      case 'edit-service':
        return run('SET_SERVICE', Cmd.SET_SERVICE, [serviceAttr(op.service)]);
      case 'delete-service':
        return run('DEL_SERVICE', Cmd.DEL_SERVICE, [serviceKeyAttr(op.key)], ['ESRCH']);
      case 'add-destination': {
        const attrs = [serviceKeyAttr(op.key), destinationAttr(op.destination)];
        const r = await run('NEW_DEST', Cmd.NEW_DEST, attrs);
        return !r.ok && r.code === 'EEXIST' ? run('SET_DEST', Cmd.SET_DEST, attrs) : r;
      }
      case 'edit-destination':
        return run('SET_DEST', Cmd.SET_DEST, [serviceKeyAttr(op.key), destinationAttr(op.destination)]);
      case 'delete-destination':
        return run('DEL_DEST', Cmd.DEL_DEST, [serviceKeyAttr(op.key), destinationKeyAttr(op.destination)], ['ENOENT']);
    }
  }

  close(): void {
    this.sock.socket.close();
  }
}
