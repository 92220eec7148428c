/**
 * `vigil drain [--state-dir DIR] [--undo] VIRTUAL_SERVER REAL_SERVER`: ldirectord's maintenance
 * drain on the running agent. The real server stays in the table at weight 0, so established
 * connections finish and new ones go elsewhere; `--undo` gives it its weight back. Names are
 * as `vigil status` prints them: "TCP 192.0.2.100:80" and "10.0.0.1:80" (or the address alone).
 */
import { parseArgs } from 'node:util';
import { requestControl } from '../runtime/control.ts';
import { StateDir } from '../runtime/state-dir.ts';

const USAGE = 'usage: vigil drain [--state-dir DIR] [--undo] VIRTUAL_SERVER REAL_SERVER\n  e.g. vigil drain "TCP 192.0.2.100:80" 10.0.0.1:80\n';

export async function runDrain(argv: string[]): Promise<number> {
  let values: { 'state-dir'?: string; undo?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'state-dir': { type: 'string' }, undo: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (e) {
    process.stderr.write(`vigil drain: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 2) {
    process.stderr.write(`vigil drain: give a virtual server and a real server (got ${positionals.length} arguments)\n\n${USAGE}`);
    return 2;
  }
  const dir = new StateDir(values['state-dir'] ?? '/var/lib/vigil');
  try {
    const row = await requestControl(dir.socketPath, 'drain', 5000, { virtualServer: positionals[0], realServer: positionals[1], undo: values.undo === true }) as { address: string; port: number; weight: number };
    process.stdout.write(`${positionals[0]} ${row.address}:${row.port} ${values.undo ? 'restored' : 'drained'} (weight ${row.weight})\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`vigil drain: ${(e as Error).message}\n`);
    return 1;
  }
}
