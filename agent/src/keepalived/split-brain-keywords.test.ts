/**
 * The keepalived keywords that decide how a split brain heals, from a keepalived.conf through
 * `vigil check`'s pipeline to the plan the state machine runs: lower_prio_no_advert,
 * higher_prio_send_advert (instance, else global, and strict mode's implied silence) and the
 * garp_lower_prio_* re-announcement, whose defaults follow garp_master_* as keepalived's do.
 */
import { describe, expect, it } from 'vitest';
import { resolveDirectorConfig } from '#schema/spec/resolve.ts';
import { planInstance } from '../runtime/plan.ts';
import { convertToSpec } from './convert.ts';
import { memoryConfigFs } from './fs.ts';
import { parseKeepalivedConf } from './parser.ts';

function fsmOf(text: string) {
  const parsed = parseKeepalivedConf({ text }, { file: '/etc/keepalived/keepalived.conf', fs: memoryConfigFs({}) });
  const converted = convertToSpec(parsed.tree, { file: '/etc/keepalived/keepalived.conf' });
  const errors = [...parsed.diagnostics, ...converted.diagnostics].filter((d) => d.severity === 'error');
  expect(errors).toEqual([]);
  return planInstance(resolveDirectorConfig(converted.validSpec!, converted.director).instances.VI_1!).fsm;
}

const conf = (body: string, global = '') => `global_defs {\n  router_id lb1\n${global}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 54\n  priority 150\n  advert_int 1\n${body}\n  virtual_ipaddress {\n    192.0.2.120/24\n  }\n}\n`;

describe('split-brain keywords in a keepalived.conf', () => {
  it('by default: a master answers a lower priority (RFC 9568), yields silently, and re-GARPs as garp_master does (5 packets, again after 5 s)', () => {
    const f = fsmOf(conf(''));
    expect(f).toMatchObject({ lowerPrioNoAdvert: false, higherPrioSendAdvert: false });
    expect(f.garp).toMatchObject({ lowerPrioRepeat: 5, lowerPrioDelayMs: 5000 });
  });

  it('global vrrp_higher_prio_send_advert and vrrp_lower_prio_no_advert apply unless the instance says otherwise', () => {
    expect(fsmOf(conf('', '  vrrp_higher_prio_send_advert\n  vrrp_lower_prio_no_advert\n'))).toMatchObject({ lowerPrioNoAdvert: true, higherPrioSendAdvert: true });
    expect(fsmOf(conf('  higher_prio_send_advert off\n  lower_prio_no_advert off', '  vrrp_higher_prio_send_advert\n  vrrp_lower_prio_no_advert\n'))).toMatchObject({ lowerPrioNoAdvert: false, higherPrioSendAdvert: false });
    expect(fsmOf(conf('  higher_prio_send_advert\n  lower_prio_no_advert'))).toMatchObject({ lowerPrioNoAdvert: true, higherPrioSendAdvert: true });
  });

  it('strict mode implies lower_prio_no_advert (keepalived), unless the instance turns it off', () => {
    expect(fsmOf(conf('  strict_mode on')).lowerPrioNoAdvert).toBe(true);
    expect(fsmOf(conf('  strict_mode on\n  lower_prio_no_advert off')).lowerPrioNoAdvert).toBe(false);
  });

  it('a value that is not a boolean is refused where it stands, with what is accepted', () => {
    for (const kw of ['lower_prio_no_advert', 'higher_prio_send_advert']) {
      const parsed = parseKeepalivedConf({ text: conf(`  ${kw} maybe`) }, { file: '/etc/keepalived/keepalived.conf', fs: memoryConfigFs({}) });
      const converted = convertToSpec(parsed.tree, { file: '/etc/keepalived/keepalived.conf' });
      const errors = [...parsed.diagnostics, ...converted.diagnostics].filter((d) => d.severity === 'error');
      expect(errors.map((d) => [d.line, d.message, d.expected])).toEqual([[9, `invalid value "maybe" for "${kw}"`, 'on|off|true|false|yes|no']]);
    }
  });

  it('garp_lower_prio_repeat / _delay follow garp_master_repeat / _delay unless set', () => {
    expect(fsmOf(conf('  garp_master_repeat 3\n  garp_master_delay 2')).garp).toMatchObject({ lowerPrioRepeat: 3, lowerPrioDelayMs: 2000 });
    expect(fsmOf(conf('  garp_lower_prio_repeat 0')).garp.lowerPrioRepeat).toBe(0);
    expect(fsmOf(conf('', '  vrrp_garp_lower_prio_repeat 2\n  vrrp_garp_lower_prio_delay 1\n')).garp).toMatchObject({ lowerPrioRepeat: 2, lowerPrioDelayMs: 1000 });
  });
});
