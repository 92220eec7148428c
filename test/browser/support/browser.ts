/**
 * Debian's chromium driven by playwright-core, for the dashboard tests. Each call gets a fresh
 * profile directory (removed on close). With `netns`, chromium runs inside that network
 * namespace (through a two-line wrapper: playwright talks to it over a pipe, which does not
 * care about namespaces), so it reaches a control plane that lives in a lab.
 *
 * `watch(page)` records what must never happen on a dashboard page: an uncaught error, a
 * console error, a dialog (alert() from injected script) and a CSP violation.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export interface OpenBrowser {
  context: BrowserContext;
  /** CPU time (user + system, ms) used so far by every chromium process of this browser. */
  cpuMs(): number;
  close(): Promise<void>;
}

/**
 * Waits until a process has settled: less than `maxMsPerS` of CPU in a second (a control plane
 * just started verifies the audit chain for its first checkpoint, which is no part of a page
 * load). Gives up after `timeoutMs`, saying so.
 */
export async function settled(pid: number, maxMsPerS = 60, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const a = processCpuMs(pid);
    await new Promise((r) => setTimeout(r, 1000));
    if (processCpuMs(pid) - a < maxMsPerS) return;
    if (Date.now() - t0 > timeoutMs) {
      console.warn(`pid ${pid} still busy after ${timeoutMs} ms; measuring anyway`);
      return;
    }
  }
}

/** utime + stime of a process from /proc (all its threads), in ms; 0 if it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ = 100
  } catch {
    return 0;
  }
}

export async function openBrowser(o: { netns?: string; viewport?: { width: number; height: number } } = {}): Promise<OpenBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-chromium-'));
  let executablePath = CHROMIUM;
  if (o.netns) {
    executablePath = join(dir, 'chromium-in-netns');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${o.netns} ${CHROMIUM} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: o.viewport ?? { width: 1360, height: 900 },
    timeout: 30_000,
  });
  const profile = join(dir, 'profile');
  return {
    context,
    cpuMs() {
      // Chromium's processes (browser, renderers, GPU, network) all carry the profile directory
      // in their command line: sum theirs. Exited ones (a renderer replaced on navigation) are
      // lost, which only makes the figure smaller than the truth by what they used before.
      let total = 0;
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile)) total += processCpuMs(Number(pid));
        } catch { /* gone */ }
      }
      return total;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Watch {
  errors: string[];
  dialogs: string[];
  csp: string[];
}

export async function watch(page: Page): Promise<Watch> {
  const w: Watch = { errors: [], dialogs: [], csp: [] };
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // An API refusal (401 before sign-in, a 403 the test provokes) is logged by chromium as a
    // failed resource; it is the API answering, not the page failing.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    w.errors.push(`console: ${text}`);
  });
  page.on('dialog', (d) => {
    w.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  await page.exposeFunction('__vigilCsp', (v: string) => w.csp.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => (window as unknown as { __vigilCsp: (v: string) => void }).__vigilCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  return w;
}

/** A full-page screenshot under test/browser/artifacts/ (git-ignored; each run rewrites them). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
