#!/usr/bin/env node
/**
 * `npm test`: everything, in one command.
 *
 *   1. system packages the suites need (as root on Debian/Ubuntu: apt-get update + install;
 *      otherwise it says what it could not install),
 *   2. the compiled `vigil` (agent/bin/compiled.mjs), lint and type-check,
 *   3. the vitest projects one after another (unit, db, net, vm, browser): privileged suites
 *      must not compete with each other for the two cores or for kernel state,
 *   4. one closing line `N passed, N failed, N skipped`.
 *
 * Under CI=true a suite that lacks a capability fails instead of skipping (test/support/capabilities.ts).
 * `npm test -- unit db` runs only the named projects.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from '../infra/system-packages.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['unit', 'db', 'net', 'vm', 'browser'];
const only = process.argv.slice(2).filter((a) => ALL.includes(a));
const projects = only.length ? only : ALL;
const bin = (name) => join(root, 'node_modules', '.bin', name);
const started = Date.now();

function step(title, cmd, args) {
  process.stderr.write(`\n=== ${title}\n`);
  const t = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  process.stderr.write(`=== ${title}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  return r.status === 0;
}

const missing = ensureSystemPackages();
if (missing.length && process.env.CI === 'true') process.stderr.write(`setup: still missing under CI: ${missing.join(' ')} (suites needing them will fail)\n`);

let failedChecks = 0;
// The compiled `vigil` for the sources as they are (npm ci builds it; a checkout since may not
// have): built once here rather than by the first of many processes a suite starts at once.
if (!step('build', process.execPath, ['agent/bin/compiled.mjs'])) failedChecks++;
if (!only.length) {
  if (!step('lint', bin('eslint'), ['.', '--max-warnings=0'])) failedChecks++;
  if (!step('typecheck', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json'])) failedChecks++;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const out = mkdtempSync(join(tmpdir(), 'vigil-test-'));
for (const p of projects) {
  const report = join(out, `${p}.json`);
  const ok = step(`vitest ${p}`, bin('vitest'), ['run', '--project', p, '--passWithNoTests', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // A suite that fails to load (import error, a capability throwing in CI) has no tests to count.
    const broken = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length;
    totals.failed += broken;
    if (!ok && r.numFailedTests === 0 && broken === 0) totals.failed++;
  } else if (!ok) totals.failed++;
}
rmSync(out, { recursive: true, force: true });
totals.failed += failedChecks;
process.stderr.write(`\nnpm test took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
