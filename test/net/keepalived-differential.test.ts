/**
 * Differential test against keepalived itself (issue 12): for every keepalived.conf fixture in
 * the repository, `vigil check` accepts exactly what `keepalived -t` (Debian's 2.2.7) accepts,
 * once host-specific failures are set aside, and both put their findings on the same lines.
 *
 * keepalived runs in a network namespace of its own holding a veth interface of every name the
 * configuration uses, so "interface eth1 doesn't exist" never decides a verdict. What remains
 * host-specific (scripts that are not installed, the script user, script security) is set aside
 * by message. keepalived reports some things with -t that it then runs in a defined way (it
 * truncates auth_pass, ignores vrrp_garp_interval 0, keeps the first notify_master, ...): those
 * are `RUNS_ANYWAY`, and Vigil must run them the same way and say so (a diagnostic on the line).
 * Every other difference is listed in `EXPLAINED`, with why, and must show up exactly as listed.
 *
 * The language probes (test/fixtures/keepalived-language) are compared statement by statement:
 * every statement there is a word keepalived does not know, so its "Unknown keyword 'W'" list
 * is the list of statements it read (after parameters, conditionals, sequences, includes).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFile } from '../../agent/src/cli/check.ts';
import type { ConfNode } from '../../agent/src/keepalived/parser.ts';
import { parseKeepalivedConf } from '../../agent/src/keepalived/parser.ts';
import { requireCapabilities } from '../support/capabilities.ts';

const run = requireCapabilities('keepalived differential', ['root', 'netns', 'keepalived']);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE_DIRS = ['test/fixtures/seed-configs', 'test/fixtures/keepalived-compat', 'test/fixtures/vrrp-captures'].map((d) => join(repo, d));
const LANGUAGE_DIR = join(repo, 'test/fixtures/keepalived-language');
const NS = `vgkd${process.pid}`;

/** Findings that depend on the host, not on the file. */
const HOST_SPECIFIC = [
  /Non-existent interface|Unknown interface|cannot use a loopback interface/,
  /SECURITY VIOLATION|script_security|Cannot find script|not found\/accessible|Unable to access script|is not executable|keepalived_script/,
  /Disabling track script .* since not found/,
];

/**
 * "interface X doesn't exist" is about the host only when X could be an interface: the namespace
 * has every name the file uses, so what is left is a word that is no interface name at all
 * (`track_interface { //note }` tracks an interface named "//note").
 */
function missingInterfaceIsHostSpecific(message: string): boolean {
  const m = /interface (\S+) (?:for \S+ \S+ )?doesn't exist/.exec(message);
  return m !== null && /^[^\s/:]{1,15}$/.test(m[1]!);
}

/** Follow-ups of a brace keepalived could not place: the verdict counts them, the line check does not. */
const BRACE_CASCADE = /^(Unknown keyword '[{}]'|Unexpected '\{'|Extra '\}' found|Missing '\{'|There are \d+ missing '\}')/;

/**
 * What keepalived -t reports but then runs in a defined way; Vigil runs it that way too and puts a
 * diagnostic (warning or note) on the line when keepalived gives one.
 */
const RUNS_ANYWAY: [RegExp, string][] = [
  [/Truncating auth_pass/, 'auth_pass is cut to 8 characters'],
  [/No VIP specified; at least one is sensible/, 'an instance without VIP still runs (VRRPv2)'],
  [/A unicast keyword has been specified without any unicast peers/, 'runs multicast'],
  [/Ignoring track_interface .* since own interface/, 'the line is dropped'],
  [/number '0' outside range|(vrrp_garp_interval|vrrp_gna_interval) '0' is invalid/, 'the line is ignored'],
  [/already specified - ignoring/, 'the first one is kept'],
  [/vrrp instance .* already defined/, 'the first instance is kept'],
  [/unknown \[\w+\] routing method/, 'NAT is kept'],
  [/no protocol set - defaulting to UDP/, 'UDP'],
  [/unknown state '.*', defaulting to BACKUP/, 'BACKUP'],
  [/unknown authentication type/, 'no authentication'],
  [/nb_get_retry is deprecated/, 'applied as retry'],
  [/Unknown keyword 'nb_get_retry'/, 'ignored outside HTTP_GET/SSL_GET'],
  [/no scheduler set, setting default|no forwarding method set, setting default/, 'the same default'],
  [/persistence_timeout.*(invalid|out of range)|Invalid persistence_timeout/, 'no persistence'],
  [/protocol specified for fwmark - protocol will be ignored/, 'the protocol is ignored'],
  [/"(or|gw)" for routes is deprecated/, 'still read (Vigil: "gw" noted, "or" named as unsupported)'],
];

/**
 * What keepalived logs about its own machinery with nothing for Vigil to say: a route without
 * "dev" is not tracked by keepalived, and Vigil tracks no route.
 */
const RUNS_ANYWAY_SILENT = [/cannot track route .* with no interface specified, not tracking/];

/** Samples written for a particular `-i` (the file says which). */
const SAMPLE_CONFIG_ID: Record<string, string> = { 'keepalived.conf.conditional_conf': 'high' };

/**
 * Every remaining difference of verdict, by fixture, and why. The test fails when one of these
 * stops being different (update the list) or a new one appears (fix Vigil, or explain it here).
 */
const EXPLAINED: Record<string, string> = {
  'keepalived.conf.vrrp.rules': 'virtual_rules/static_rules are not supported by Vigil (named as such and ignored), so their lines are not validated; keepalived rejects this sample\'s "192.168.100./24"',
  'params-undefined.conf': 'an undefined $IF stays "$IF", which keepalived takes as the name of an interface that does not exist (the instance waits in FAULT); Vigil refuses "$IF" as an interface name, and its message names the undefined parameter',
  'proto-instance.conf': 'keepalived runs an instance named "__proto__"; the cluster spec is JSON, where that key does not survive, so Vigil refuses the name with an error on its line',
};

/** Fixtures with Unicode spaces: keepalived rejects each such line as an unknown keyword; Vigil
 * normalises them with one warning, so keepalived is given the normalised text (same lines). */
const UNICODE_SPACE = /[\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF]/gu;

interface KeepalivedFinding {
  file?: string;
  line?: number;
  message: string;
}

/** `keepalived -t` in the namespace: its findings, deduplicated (it parses the file once per process). */
function keepalivedTest(file: string, configId?: string): KeepalivedFinding[] {
  const args = ['netns', 'exec', NS, 'keepalived', '-t', ...(configId ? ['-i', configId] : []), '-f', file];
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 30_000 });
  const seen = new Set<string>();
  const out: KeepalivedFinding[] = [];
  for (const raw of `${r.stdout}${r.stderr}`.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^\((?:(.+?): )?Line (\d+)\) (.*)$/.exec(line);
    const f: KeepalivedFinding = m ? { ...(m[1] && { file: m[1] }), line: Number(m[2]), message: m[3]! } : { message: line };
    const key = `${f.line ?? ''}|${f.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(f);
    }
  }
  return out;
}

/** Interface names a configuration uses (Vigil's reader, so parameters and includes count). */
function interfacesOf(file: string, configId?: string): string[] {
  const names = new Set<string>();
  const walk = (nodes: ConfNode[], parent?: string) => {
    for (const n of nodes) {
      const k = n.keyword.text;
      const words = [k, ...n.args.map((a) => a.text)];
      if (['interface', 'default_interface', 'bind_if', 'lvs_sync_daemon', 'lvs_sync_daemon_interface', 'vrrp_garp_extra_if'].includes(k) && words[1]) names.add(words[1]);
      if (parent === 'track_interface') names.add(k);
      const dev = words.indexOf('dev');
      if (dev >= 0 && words[dev + 1]) names.add(words[dev + 1]!);
      if (n.children) walk(n.children, k);
    }
  };
  walk(parseKeepalivedConf({ path: file }, configId ? { configId } : {}).tree);
  return [...names].filter((n) => /^[A-Za-z0-9_.-]{1,15}$/.test(n) && n !== 'lo');
}

const made = new Set<string>();
function ensureInterfaces(names: string[]): void {
  for (const name of names) {
    if (made.has(name)) continue;
    const peer = `vgkp${made.size}`;
    execFileSync('ip', ['-n', NS, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
    execFileSync('ip', ['-n', NS, 'link', 'set', name, 'up']);
    made.add(name);
  }
}

/** The line of the "{" that the "}" on line `close` (1-based) closes. */
function openingLine(lines: string[], close: number): number {
  let depth = 0;
  for (let l = close; l >= 1; l--) {
    const t = (lines[l - 1] ?? '').replace(/[#!].*$/, '');
    depth += (t.match(/\}/g) ?? []).length - (t.match(/\{/g) ?? []).length;
    if (depth <= 0) return l;
  }
  return 1;
}

const configIdOf = (text: string) => /^# config-id: (\S+)/m.exec(text)?.[1];

/** Debian's keepalived samples, when installed: more of keepalived's keywords, written by its authors. */
const SAMPLES = '/usr/share/doc/keepalived/samples';
const fixtures = [
  ...FIXTURE_DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.conf')).map((f) => join(d, f))).sort(),
  ...(existsSync(SAMPLES) ? readdirSync(SAMPLES).filter((f) => f.startsWith('keepalived.conf.')).map((f) => join(SAMPLES, f)).sort() : []),
];

describe.skipIf(!run)('vigil check against keepalived -t (2.2.7)', () => {
  let tmp: string;
  const tally = { fixtures: 0, agree: 0, explained: 0 };
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'vigil-kdiff-'));
    execFileSync('ip', ['netns', 'add', NS]);
    execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    console.log(`keepalived differential: ${tally.fixtures} fixtures, ${tally.agree} verdicts agree, ${tally.explained} explained differences`);
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('has the fixtures: seed configs, the compatibility set and the capture configs', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(40);
  });

  it.each(fixtures.map((f) => [basename(f), f]))('%s: same verdict, findings on the same lines', (name, file) => {
    const text = readFileSync(file, 'utf8');
    const configId = configIdOf(text) ?? SAMPLE_CONFIG_ID[name] ?? 'lb1';
    ensureInterfaces(interfacesOf(file, configId));
    // keepalived reads the text with Unicode spaces made ASCII (Vigil's normalisation), same lines.
    let kfile = file;
    if (UNICODE_SPACE.test(text)) {
      kfile = join(tmp, name);
      writeFileSync(kfile, text.replace(UNICODE_SPACE, ' '));
    }
    const findings = keepalivedTest(kfile, configId);
    const host = (f: KeepalivedFinding) =>
      HOST_SPECIFIC.some((re) => re.test(f.message)) || missingInterfaceIsHostSpecific(f.message) || RUNS_ANYWAY_SILENT.some((re) => re.test(f.message));
    const anyway = (f: KeepalivedFinding) =>
      RUNS_ANYWAY.some(([re]) => re.test(f.message)) ||
      // A plain include of a missing file only logs (the checking variants make it an error).
      (/Config files missing/.test(f.message) && f.line !== undefined && /^\s*include\s/.test(text.split('\n')[f.line - 1] ?? ''));
    const problems = findings.filter((f) => !host(f) && !anyway(f));
    const keepalivedAccepts = problems.length === 0;

    const vigil = checkFile(file, { configId });
    const explained = EXPLAINED[name];
    tally.fixtures++;
    if (explained) {
      expect(vigil.valid, `${name}: listed as a difference (${explained}) but the verdicts agree now`).not.toBe(keepalivedAccepts);
      tally.explained++;
    } else {
      expect(vigil.valid, `${name}: keepalived ${keepalivedAccepts ? 'accepts' : 'rejects'} it (${problems.map((p) => `${p.line ?? '-'}: ${p.message}`).join(' | ')}); vigil: ${vigil.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}: ${d.message}`).join(' | ')}`).toBe(keepalivedAccepts);
      tally.agree++;
    }
    // Same lines (unless the difference is explained): every located finding of keepalived about
    // this file (problem or run-anyway) has a Vigil diagnostic on its line, and every Vigil error
    // line has a keepalived finding.
    const ownFile = (f: KeepalivedFinding) => f.file === undefined || resolve(dirname(kfile), f.file) === kfile || f.file === kfile;
    const vigilLines = new Set(vigil.diagnostics.filter((d) => d.file === file).map((d) => d.line));
    const lines = text.split('\n');
    for (const f of findings.filter((x) => !explained && !host(x) && x.line !== undefined && ownFile(x) && !BRACE_CASCADE.test(x.message))) {
      // keepalived reports what a block lacks at its closing "}": Vigil at the block's keyword.
      const from = lines[f.line! - 1]?.trim() === '}' ? openingLine(lines, f.line!) : f.line!;
      let said = false;
      for (let l = from; l <= f.line!; l++) said ||= vigilLines.has(l);
      expect(said, `${name}:${f.line}: keepalived says "${f.message}"; vigil says nothing on that line`).toBe(true);
    }
    if (!explained) {
      const keepalivedLines = new Set(findings.filter((x) => !host(x) && ownFile(x)).map((x) => x.line));
      const unlocated = findings.some((x) => !host(x) && x.line === undefined);
      for (const d of vigil.diagnostics.filter((x) => x.severity === 'error' && x.file === file)) {
        expect(keepalivedLines.has(d.line) || unlocated, `${name}:${d.line}: vigil error "${d.message}" where keepalived says nothing`).toBe(true);
      }
    }
  });
});

describe.skipIf(!run)('the configuration language, statement by statement against keepalived', () => {
  const probes = readdirSync(LANGUAGE_DIR).filter((f) => f.endsWith('.conf')).sort();
  beforeAll(() => {
    execFileSync('ip', ['netns', 'add', `${NS}l`]);
  });
  afterAll(() => {
    spawnSync('ip', ['netns', 'del', `${NS}l`]);
  });

  it('has probes', () => {
    expect(probes.length).toBeGreaterThanOrEqual(4);
  });

  it.each(probes)('%s', (name) => {
    const file = join(LANGUAGE_DIR, name);
    const configId = configIdOf(readFileSync(file, 'utf8')) ?? 'lb1';
    const r = spawnSync('ip', ['netns', 'exec', `${NS}l`, 'keepalived', '-t', '-i', configId, '-f', file], { encoding: 'utf8', timeout: 30_000 });
    // The first parse (the parent process) reports every statement once; the children repeat it.
    // The parent names the entry file only by line; the children by path: one name for both.
    const fileName = (f: string | undefined) => (f === undefined || f === file ? name : f.startsWith(`${LANGUAGE_DIR}/`) ? f.slice(LANGUAGE_DIR.length + 1) : f);
    const all = `${r.stdout}${r.stderr}`.split('\n').map((l) => /^\((?:(.+?): )?Line (\d+)\) Unknown keyword '(.*)'$/.exec(l.trim())).filter((m) => m !== null).map((m) => `${fileName(m[1])}:${m[2]}: ${m[3]}`);
    const again = all.indexOf(all[0]!, 1);
    const keepalived = (again > 0 ? all.slice(0, again) : all).filter((s) => !/: [{}]$/.test(s));
    const { tree } = parseKeepalivedConf({ path: file }, { configId });
    const vigil: string[] = [];
    const walk = (nodes: ConfNode[]) => {
      for (const n of nodes) {
        if (n.keyword.text !== '{' || n.keyword.quoted) {
          const f = n.keyword.file === file ? name : n.keyword.file.startsWith(LANGUAGE_DIR) ? n.keyword.file.slice(LANGUAGE_DIR.length + 1) : n.keyword.file;
          vigil.push(`${f}:${n.keyword.line}: ${n.keyword.text}`);
        }
        if (n.children) walk(n.children);
      }
    };
    walk(tree);
    expect(vigil).toEqual(keepalived);
  });
});
