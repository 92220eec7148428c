/**
 * Contract of {@link AddressManager}: idempotent VIP add/remove with label, scope and broadcast,
 * kernel outcomes as results. `ifname` is an up interface the suite may add addresses to; the
 * suite uses 198.51.100.0/24 (TEST-NET-2) and 2001:db8:ffff::/64 for its VIPs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressManager, InterfaceAddress } from '#agent/os/ports.ts';
import { unwrap } from './harness.ts';

export interface AddressManagerLab {
  addresses: AddressManager;
  ifname: string;
  close(): Promise<void>;
}

export function runAddressManagerContract({ make }: { make: () => Promise<AddressManagerLab> }): void {
  describe('AddressManager contract', () => {
    let lab: AddressManagerLab;
    const find = async (address: string): Promise<InterfaceAddress[]> =>
      unwrap(await lab.addresses.list(lab.ifname)).filter((a) => a.address === address);

    beforeAll(async () => {
      lab = await make();
    });
    afterAll(async () => {
      await lab?.close();
    });

    it('lists the interface addresses', async () => {
      const all = unwrap(await lab.addresses.list(lab.ifname));
      expect(all.length).toBeGreaterThan(0);
      for (const a of all) expect(a.ifname).toBe(lab.ifname);
      expect(all.some((a) => a.family === 6 && a.scope === 'link')).toBe(true);
    });

    it('adds an IPv4 VIP with label, scope and broadcast, and lists it back', async () => {
      const spec = { ifname: lab.ifname, address: '198.51.100.10', prefixLength: 24, brd: '198.51.100.255', label: `${lab.ifname}:vip`, scope: 'link' as const };
      unwrap(await lab.addresses.add(spec));
      expect(await find('198.51.100.10')).toEqual([
        expect.objectContaining({ family: 4, prefixLength: 24, brd: '198.51.100.255', label: `${lab.ifname}:vip`, scope: 'link' }),
      ]);
    });

    it("derives the broadcast address from brd '+'", async () => {
      unwrap(await lab.addresses.add({ ifname: lab.ifname, address: '198.51.100.20', prefixLength: 25, brd: '+' }));
      expect((await find('198.51.100.20'))[0]).toMatchObject({ brd: '198.51.100.127', scope: 'global', label: lab.ifname });
    });

    it('adding the same address twice succeeds and leaves one entry', async () => {
      const spec = { ifname: lab.ifname, address: '198.51.100.30', prefixLength: 32 };
      unwrap(await lab.addresses.add(spec));
      unwrap(await lab.addresses.add(spec));
      expect(await find('198.51.100.30')).toHaveLength(1);
    });

    it('adding an address again with another label or scope replaces it', async () => {
      unwrap(await lab.addresses.add({ ifname: lab.ifname, address: '198.51.100.40', prefixLength: 32, label: `${lab.ifname}:a` }));
      unwrap(await lab.addresses.add({ ifname: lab.ifname, address: '198.51.100.40', prefixLength: 32, label: `${lab.ifname}:b`, scope: 'host' }));
      expect(await find('198.51.100.40')).toEqual([expect.objectContaining({ label: `${lab.ifname}:b`, scope: 'host' })]);
    });

    it('removes an address, and removing it again succeeds', async () => {
      const spec = { ifname: lab.ifname, address: '198.51.100.50', prefixLength: 32 };
      unwrap(await lab.addresses.add(spec));
      unwrap(await lab.addresses.remove(spec));
      expect(await find('198.51.100.50')).toHaveLength(0);
      unwrap(await lab.addresses.remove(spec));
    });

    it('adds and removes an IPv6 VIP (nodad), idempotently, with the scope the address implies', async () => {
      const spec = { ifname: lab.ifname, address: '2001:db8:ffff::10', prefixLength: 64, nodad: true };
      unwrap(await lab.addresses.add(spec));
      unwrap(await lab.addresses.add(spec));
      expect(await find('2001:db8:ffff::10')).toEqual([expect.objectContaining({ family: 6, prefixLength: 64, scope: 'global' })]);
      unwrap(await lab.addresses.remove(spec));
      unwrap(await lab.addresses.remove(spec));
      expect(await find('2001:db8:ffff::10')).toHaveLength(0);
    });

    it('reports IPv6 addresses in canonical RFC 5952 form', async () => {
      unwrap(await lab.addresses.add({ ifname: lab.ifname, address: '2001:DB8:FFFF:0:0:0:0:20', prefixLength: 128, nodad: true }));
      expect(await find('2001:db8:ffff::20')).toHaveLength(1);
    });

    it('a missing interface is an ENODEV result for list and add; remove from it succeeds', async () => {
      const listed = await lab.addresses.list('nosuchif0');
      expect(listed).toMatchObject({ ok: false, code: 'ENODEV' });
      const added = await lab.addresses.add({ ifname: 'nosuchif0', address: '198.51.100.60', prefixLength: 32 });
      expect(added).toMatchObject({ ok: false, code: 'ENODEV' });
      expect(await lab.addresses.remove({ ifname: 'nosuchif0', address: '198.51.100.60', prefixLength: 32 })).toMatchObject({ ok: true });
    });

    it('rejects malformed specs with a clear error before touching the kernel', async () => {
      await expect(lab.addresses.add({ ifname: lab.ifname, address: '198.51.100.300', prefixLength: 24 })).rejects.toThrow(/invalid IPv4 address '198.51.100.300'/);
      await expect(lab.addresses.add({ ifname: lab.ifname, address: '198.51.100.70', prefixLength: 33 })).rejects.toThrow(/prefix length must be 0..32/);
      await expect(lab.addresses.add({ ifname: lab.ifname, address: '2001:db8::70', prefixLength: 64, label: 'x' })).rejects.toThrow(/labels exist only for IPv4/);
      await expect(lab.addresses.add({ ifname: lab.ifname, address: '198.51.100.70', prefixLength: 24, label: 'a-very-long-label' })).rejects.toThrow(/longer than 15/);
    });
  });
}
