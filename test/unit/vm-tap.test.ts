import { describe, expect, it } from 'vitest';
import { parseTap } from '../support/vm.ts';

// Shape of `node --test --test-reporter=tap` (Node 20) output, trimmed.
const TAP = `TAP version 13
# Subtest: schedulers
    # Subtest: rr: a service
    ok 1 - rr: a service
      ---
      duration_ms: 10
      ...
    # Subtest: twos: a service
    not ok 2 - twos: a service
      ---
      duration_ms: 5
      error: 'genl dump of TCP 10.1.0.1:80'
      ...
    1..2
not ok 1 - schedulers
  ---
  type: 'suite'
  ...
# Subtest: top level
ok 2 - top level
# Subtest: skipped one
ok 3 - skipped one # SKIP test name does not match pattern
1..3
# tests 4
`;

describe('parseTap', () => {
  it('keeps leaf tests with suite paths, failure details and skips; drops suites', () => {
    expect(parseTap(TAP)).toEqual([
      { name: 'schedulers > rr: a service', ok: true, skipped: false, detail: 'duration_ms: 10' },
      { name: 'schedulers > twos: a service', ok: false, skipped: false, detail: "duration_ms: 5\nerror: 'genl dump of TCP 10.1.0.1:80'" },
      { name: 'top level', ok: true, skipped: false, detail: '' },
      { name: 'skipped one', ok: true, skipped: true, detail: '' },
    ]);
  });

  it('no TAP at all (the VM never ran node) is no tests, which the host tests treat as failure', () => {
    expect(parseTap('Kernel panic - not syncing')).toEqual([]);
  });
});
