/**
 * A network-namespace lab for privileged tests (root): N hosts on one L2 segment.
 *
 *   host ns `<prefix>h1` eth0 ──veth── p1 ┐
 *   host ns `<prefix>h2` eth0 ──veth── p2 ┼─ br0 (in switch ns `<prefix>sw`)
 *   ...                                   ┘
 *
 * Nothing is created in the caller's namespace: the bridge and every veth end live in the lab's
 * own namespaces, so deleting the namespaces removes everything. Names carry a unique prefix
 * (`vg<pid>x<n>` by default), so parallel runs and other engineers' labs never collide.
 *
 * Code that must run *inside* a namespace runs in a child process (`ip netns exec NS node`):
 * a node process cannot move one thread to another netns. `lab.serve(ns, module)` starts
 * `test/support/netns-child.ts`, which imports `module` and serves its methods over JSON lines
 * on stdin/stdout; the test calls them with `child.call(...)` and receives events with
 * `child.on(...)` / `child.waitFor(...)`.
 *
 * @example
 *   const lab = await createLab({ hosts: 2 });
 *   afterAll(() => lab.destroy());
 *   const a = await lab.serve(lab.hosts[0].ns, 'test/net/os-agent-child.ts');
 *   await a.call('addrAdd', { ifname: 'eth0', address: '192.0.2.100', prefixLength: 24 });
 *   await lab.ip(lab.hosts[1].ns, 'link', 'set', 'eth0', 'down');
 */
import { execFile, execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const childEntry = fileURLToPath(new URL('./netns-child.ts', import.meta.url));

export interface LabOptions {
  /** Number of hosts on the segment (1..50). */
  hosts: number;
  /** Name prefix for namespaces; default `vg<pid>x<counter>`. */
  prefix?: string;
  /** First three octets of the hosts' IPv4 /24; host i gets .i (default 192.0.2, TEST-NET-1). */
  ipv4Subnet?: string;
  /** IPv6 /64 prefix without the trailing '::'; host i gets ::i (default 2001:db8:0:1). */
  ipv6Prefix?: string;
}

export interface LabHost {
  /** 1-based index. */
  index: number;
  /** Network namespace name. */
  ns: string;
  /** The host's interface on the segment. */
  ifname: string;
  ipv4: string;
  ipv6: string;
  /** Bridge port in the switch namespace (for `lab.ip(lab.switchNs, 'link', 'set', port, 'down')`). */
  switchPort: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NetnsLab {
  readonly prefix: string;
  readonly switchNs: string;
  readonly hosts: LabHost[];
  /** `ip -n NS ...`; rejects with stderr on failure. */
  ip(ns: string, ...args: string[]): Promise<string>;
  /** Runs a command inside a namespace; never rejects, returns the exit code. */
  exec(ns: string, cmd: string, args?: string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
  /** Starts a JSON-lines RPC child inside `ns` serving `modulePath` (relative to the repo root). */
  serve(ns: string, modulePath: string): Promise<RpcChild>;
  /** Kills children and deletes every namespace. Idempotent; never throws. */
  destroy(): Promise<void>;
}

export interface RpcChild {
  readonly pid: number;
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
  on(event: string, cb: (data: unknown) => void): () => void;
  /** Resolves with the first `event` whose data satisfies `pred` (also ones already received). */
  waitFor<T = unknown>(event: string, pred?: (data: T) => boolean, timeoutMs?: number): Promise<T>;
  /** Every `event` received so far. */
  received<T = unknown>(event: string): T[];
  close(): Promise<void>;
}

let counter = 0;
const liveNamespaces = new Set<string>();
let exitHookInstalled = false;

function run(cmd: string, args: string[], timeoutMs = 15_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code !== 0 ? err.message : '') });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args);
  if (r.code !== 0) throw new Error(`netns lab: '${cmd} ${args.join(' ')}' failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Backstop for a test process that dies before afterAll: delete what is still there.
  process.once('exit', () => {
    for (const ns of liveNamespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  });
}

/** Creates the lab; on any failure it removes what it created and rethrows. */
export async function createLab(options: LabOptions): Promise<NetnsLab> {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 50) {
    throw new RangeError(`createLab: hosts must be 1..50, got ${options.hosts}`);
  }
  const prefix = options.prefix ?? `vg${process.pid}x${counter++}`;
  const subnet = options.ipv4Subnet ?? '192.0.2';
  const v6 = options.ipv6Prefix ?? '2001:db8:0:1';
  const switchNs = `${prefix}sw`;
  const hosts: LabHost[] = Array.from({ length: options.hosts }, (_, i) => ({
    index: i + 1,
    ns: `${prefix}h${i + 1}`,
    ifname: 'eth0',
    ipv4: `${subnet}.${i + 1}`,
    ipv6: `${v6}::${i + 1}`,
    switchPort: `p${i + 1}`,
  }));
  const children = new Set<RpcChild>();
  installExitHook();

  const lab: NetnsLab = {
    prefix,
    switchNs,
    hosts,
    ip: (ns, ...args) => must('ip', ['-n', ns, ...args]),
    exec: (ns, cmd, args = [], o) => run('ip', ['netns', 'exec', ns, cmd, ...args], o?.timeoutMs),
    async serve(ns, modulePath) {
      const child = await startChild(ns, modulePath);
      children.add(child);
      return child;
    },
    async destroy() {
      await Promise.all([...children].map((c) => c.close().catch(() => undefined)));
      children.clear();
      for (const ns of [...hosts.map((h) => h.ns), switchNs]) {
        if (!liveNamespaces.has(ns)) continue;
        await run('ip', ['netns', 'del', ns]);
        liveNamespaces.delete(ns);
      }
    },
  };

  try {
    for (const ns of [switchNs, ...hosts.map((h) => h.ns)]) {
      await must('ip', ['netns', 'add', ns]);
      liveNamespaces.add(ns);
      // Before any link exists, so new links inherit it: no DAD, addresses usable at once.
      await must('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
      await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    // Snooping off: the bridge floods all multicast, like a plain switch without IGMP/MLD state.
    await must('ip', ['-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge', 'mcast_snooping', '0']);
    await must('ip', ['-n', switchNs, 'link', 'set', 'br0', 'up']);
    for (const h of hosts) {
      await must('ip', ['-n', switchNs, 'link', 'add', h.switchPort, 'type', 'veth', 'peer', 'name', h.ifname, 'netns', h.ns]);
      await must('ip', ['-n', switchNs, 'link', 'set', h.switchPort, 'master', 'br0', 'up']);
      await must('ip', ['-n', h.ns, 'addr', 'add', `${h.ipv4}/24`, 'dev', h.ifname]);
      await must('ip', ['-n', h.ns, 'addr', 'add', `${h.ipv6}/64`, 'dev', h.ifname, 'nodad']);
      await must('ip', ['-n', h.ns, 'link', 'set', h.ifname, 'up']);
    }
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}

/**
 * Starts a JSON-lines RPC child inside any namespace (the caller keeps it and closes it); what
 * `lab.serve` does for a lab's own hosts, for labs built by other means (infra/soak/lab.ts).
 */
export function serveIn(ns: string, modulePath: string, startTimeoutMs = 20_000): Promise<RpcChild> {
  return startChild(ns, modulePath, startTimeoutMs);
}

async function startChild(ns: string, modulePath: string, startTimeoutMs = 20_000): Promise<RpcChild> {
  const proc: ChildProcessWithoutNullStreams = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', childEntry, modulePath],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, Set<(data: unknown) => void>>();
  const history = new Map<string, unknown[]>();
  let stderr = '';
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => proc.once('exit', () => resolve()));

  proc.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8192);
  });
  proc.once('exit', (code, signal) => {
    exited = true;
    for (const p of pending.values()) p.reject(new Error(`netns child in ${ns} exited (${code ?? signal}): ${stderr.trim()}`));
    pending.clear();
  });
  const ready = new Promise<void>((resolve, reject) => {
    proc.once('exit', () => reject(new Error(`netns child in ${ns} failed to start: ${stderr.trim()}`)));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      let msg: { id?: number; result?: unknown; error?: string; event?: string; data?: unknown; ready?: boolean };
      try {
        msg = JSON.parse(line);
      } catch {
        stderr += `\n[stdout] ${line}`;
        return;
      }
      if (msg.ready) return resolve();
      if (msg.event !== undefined) {
        const list = history.get(msg.event) ?? [];
        list.push(msg.data);
        history.set(msg.event, list);
        for (const cb of listeners.get(msg.event) ?? []) cb(msg.data);
        return;
      }
      const p = msg.id !== undefined ? pending.get(msg.id) : undefined;
      if (!p) return;
      pending.delete(msg.id as number);
      if (msg.error !== undefined) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
  });
  const startTimer = setTimeout(() => proc.kill('SIGKILL'), startTimeoutMs);
  try {
    await ready;
  } finally {
    clearTimeout(startTimer);
  }

  const child: RpcChild = {
    pid: proc.pid ?? -1,
    call<T>(method: string, ...args: unknown[]): Promise<T> {
      if (exited) return Promise.reject(new Error(`netns child in ${ns} has exited: ${stderr.trim()}`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`netns child in ${ns}: ${method} timed out`));
        }, 15_000);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        proc.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
      });
    },
    on(event, cb) {
      const set = listeners.get(event) ?? new Set();
      set.add(cb);
      listeners.set(event, set);
      return () => set.delete(cb);
    },
    waitFor<T>(event: string, pred: (data: T) => boolean = () => true, timeoutMs = 5_000): Promise<T> {
      const seen = (history.get(event) ?? []) as T[];
      const hit = seen.find(pred);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          off();
          reject(new Error(`netns child in ${ns}: no '${event}' event matched within ${timeoutMs} ms`));
        }, timeoutMs);
        const off = child.on(event, (data) => {
          if (!pred(data as T)) return;
          clearTimeout(timer);
          off();
          resolve(data as T);
        });
      });
    },
    received<T>(event: string): T[] {
      return [...((history.get(event) ?? []) as T[])];
    },
    async close() {
      if (exited) return;
      proc.stdin.end();
      const killTimer = setTimeout(() => proc.kill('SIGKILL'), 2_000);
      await exitedPromise;
      clearTimeout(killTimer);
    },
  };
  return child;
}
