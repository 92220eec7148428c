/**
 * The VRRP pure core: codec, receive checks, timers, tracking priority, the instance state
 * machine and sync groups. No I/O: the runtime feeds events with `now` and executes effects.
 */
export * from './addr.ts';
export { VRRP_PROTOCOL } from './checksum.ts';
export * from './packet.ts';
export * from './validate.ts';
export * from './timers.ts';
export * from './priority.ts';
export * from './state.ts';
export { step, fireDueTimers } from './fsm.ts';
export * from './sync-group.ts';
