import { runAnnouncerContract, type ObservedAnnouncement } from '#test/contract/announcer.case.ts';
import { FakeHost, FakeSegment } from './index.ts';

runAnnouncerContract({
  make: async () => {
    const segment = new FakeSegment();
    const host = new FakeHost('h1');
    const iface = host.attach(segment, { ifname: 'eth0', ipv4: '192.0.2.1/24' });
    return {
      announcer: host.announcer,
      ifname: 'eth0',
      mac: iface.mac,
      observe: (pred, timeoutMs = 1000) =>
        new Promise<ObservedAnnouncement>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no matching announcement')), timeoutMs);
          const off = segment.onAnnouncement((a) => {
            if (!pred(a)) return;
            clearTimeout(timer);
            off();
            resolve(a);
          });
        }),
      close: async () => {},
    };
  },
});
