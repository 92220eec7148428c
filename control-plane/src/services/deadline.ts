/**
 * `work`, or `timeout()`'s error once `ms` have passed without it settling. The work is not
 * cancelled (a driver's lost promise cannot be); its late outcome, if any, is ignored.
 */
export async function settleWithin<T>(work: Promise<T>, ms: number, timeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          work.catch(() => undefined); // settles late or never
          reject(timeout());
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
