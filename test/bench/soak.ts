/**
 * `npm run bench -- soak --minutes=N` (or `--hours=H`, `--seed=S`, `--faults=a,b`): the chaos
 * soak (infra/soak/): a fleet lab under seeded faults for as long as asked, one table at the end.
 */
import { main } from '../../infra/soak/main.ts';

export async function run(args: string[]): Promise<void> {
  const code = await main(args);
  if (code !== 0) process.exitCode = code;
}
