/** The compiled CLI's entry (agent/bin/compiled.mjs): runs `vigil` with the process's arguments. */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
