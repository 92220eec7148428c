/** In-memory implementations of every OS port (see segment.ts for the wiring). */
export { FakeClock } from './clock.ts';
export { FakeSegment, FakeHost, type Announcement, type AttachOptions, type FakeInterface, type WirePacket } from './segment.ts';
export { FakeVrrpSocket, FakeVrrpSocketFactory } from './vrrp-socket.ts';
export { FakeAnnouncer } from './announcer.ts';
export { FakeAddressManager } from './address-manager.ts';
export { FakeLinkMonitor } from './link-monitor.ts';
export { FakeRouteManager } from './route-manager.ts';
