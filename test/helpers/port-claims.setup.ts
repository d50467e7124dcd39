/**
 * vitest globalSetup: one folder per vitest run where test workers claim port blocks (see ports.ts), handed to
 * every worker with `provide`. Named after the vitest process (pid and start time), so every project of the
 * run computes the same folder, and the folders of runs that have ended can be told apart and removed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

const ROOT = join(tmpdir(), 'trunkbridge-test-port-claims');

/** "<pid>-<start time in clock ticks since boot>": unique for a process even after its pid is reused. */
function processId(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces) in parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}-${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

export default function setup(project: TestProject): void {
  mkdirSync(ROOT, { recursive: true });
  // Claim folders of runs that have ended: their blocks are free again (their locks died with them).
  for (const name of readdirSync(ROOT)) {
    const pid = Number(name.split('-')[0]);
    if (processId(pid) !== name) rmSync(join(ROOT, name), { recursive: true, force: true });
  }
  const dir = join(ROOT, processId(process.pid)!);
  mkdirSync(dir, { recursive: true });
  project.provide('portClaimDir', dir);
}
