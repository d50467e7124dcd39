/**
 * How many CPUs this process may use, for the default number of media workers: the cores it may run on
 * (`os.availableParallelism()`, which follows the affinity mask) and its cgroup's CPU quota (Docker `--cpus`, a
 * Kubernetes CPU limit), which Node 20's libuv (1.46) does not read. In a container limited to 2 CPUs on a
 * 64-core host it reports 64; 64 media workers would then share 2 CPUs' time, and once the group has spent its
 * quota the kernel stops all of them for the rest of the period (100 ms by default): a gap in every call's audio.
 *
 * The parsers are pure, over the text of /proc/self/mountinfo, /proc/self/cgroup and the quota files; the
 * lookup reads through an injected function, so fixtures stand in for a host, a container or a nested group.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';

/** A mounted cgroup hierarchy that can carry a CPU quota. */
export interface CgroupMount {
  version: 1 | 2;
  /** The hierarchy's path mounted here ('/' on a host; a container may see its own group mounted as root). */
  root: string;
  mountPoint: string;
}

/** mountinfo escapes space, tab, newline and backslash in paths as \ooo. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The cgroup v2 mounts and the v1 mounts of the `cpu` controller in /proc/self/mountinfo (proc(5)). */
export function parseMountinfo(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6 || fields.length < dash + 4) continue;
    const fsType = fields[dash + 1];
    const root = unescapeMountPath(fields[3]);
    const mountPoint = unescapeMountPath(fields[4]);
    if (fsType === 'cgroup2') mounts.push({ version: 2, root, mountPoint });
    else if (fsType === 'cgroup' && fields[dash + 3].split(',').includes('cpu')) mounts.push({ version: 1, root, mountPoint });
  }
  return mounts;
}

/** The process's group in each hierarchy from /proc/self/cgroup (cgroups(7)): v2's `0::path`, v1's `cpu` one. */
export function parseProcCgroup(text: string): { v1Cpu?: string; v2?: string } {
  const out: { v1Cpu?: string; v2?: string } = {};
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (line.slice(0, first) === '0' && controllers === '') out.v2 = path;
    else if (controllers.split(',').includes('cpu')) out.v1Cpu = path;
  }
  return out;
}

/** CPUs granted by a v2 `cpu.max` ("quota period", or "max period" for none); undefined for none or unreadable. */
export function parseCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  return quotaCpus(quota, period ?? '100000');
}

/** CPUs granted by v1's `cpu.cfs_quota_us` (-1: none) and `cpu.cfs_period_us`. */
export function parseCfsQuota(quotaText: string, periodText: string): number | undefined {
  return quotaCpus(quotaText.trim(), periodText.trim());
}

function quotaCpus(quota: string | undefined, period: string): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  if (quota === 'max' || !Number.isFinite(q) || q <= 0 || !Number.isFinite(p) || p <= 0) return undefined;
  return q / p;
}

/** Reads a file's text, or undefined when it is missing or unreadable. */
export type ReadText = (path: string) => string | undefined;

/** The group's directory under a mount: its path relative to the hierarchy's part the mount shows. */
function groupDir(mount: CgroupMount, path: string): string | undefined {
  const root = mount.root === '/' ? '' : mount.root;
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return undefined; // another namespace's view
  return posix.join(mount.mountPoint, path.slice(root.length));
}

/** The smaller of two quotas, either of which may be missing. */
function lesser(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** The quota set on the group directory `dir` itself, undefined for none or no files. */
function quotaAt(mount: CgroupMount, dir: string, read: ReadText): number | undefined {
  if (mount.version === 2) {
    const max = read(posix.join(dir, 'cpu.max'));
    return max === undefined ? undefined : parseCpuMax(max);
  }
  const quota = read(posix.join(dir, 'cpu.cfs_quota_us'));
  const period = read(posix.join(dir, 'cpu.cfs_period_us'));
  return quota === undefined || period === undefined ? undefined : parseCfsQuota(quota, period);
}

/** The least quota on the way from the group up to the mount (a parent's limit holds for its children too). */
function leastQuotaUp(mount: CgroupMount, dir: string, read: ReadText): number | undefined {
  let least: number | undefined;
  for (let d = dir; ; d = posix.dirname(d)) {
    least = lesser(least, quotaAt(mount, d, read));
    if (d === mount.mountPoint || d === posix.dirname(d)) return least;
  }
}

/** The CPU quota of this process's cgroups, in CPUs (1.5 = one and a half), or undefined when there is none. */
export function cgroupCpuQuota(read: ReadText): number | undefined {
  const mountinfo = read('/proc/self/mountinfo');
  const procCgroup = read('/proc/self/cgroup');
  if (mountinfo === undefined || procCgroup === undefined) return undefined;
  const paths = parseProcCgroup(procCgroup);
  let least: number | undefined;
  for (const mount of parseMountinfo(mountinfo)) {
    const path = mount.version === 2 ? paths.v2 : paths.v1Cpu;
    const dir = path === undefined ? undefined : groupDir(mount, path);
    if (dir !== undefined) least = lesser(least, leastQuotaUp(mount, dir, read));
  }
  return least;
}

/** What limits the CPUs this process may use. */
export interface CpuLimit {
  /** Whole CPUs to plan threads for: the cores it may run on, fewer when the quota is lower, at least 1. */
  cpus: number;
  /** Cores it may run on (affinity). */
  cores: number;
  /** The cgroup quota in CPUs, when there is one. */
  quota?: number;
}

/** A partly granted CPU is not counted: a thread for it would be throttled with the others (automaxprocs' rule). */
export function cpuLimitOf(cores: number, quota: number | undefined): CpuLimit {
  if (quota === undefined) return { cpus: cores, cores };
  return { cpus: Math.max(1, Math.min(cores, Math.floor(quota))), cores, quota };
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // no such hierarchy or file here: that level has no quota to read
  }
}

/** This process's CPU limit, read from the system. */
export function processCpuLimit(read: ReadText = readText): CpuLimit {
  return cpuLimitOf(availableParallelism(), process.platform === 'linux' ? cgroupCpuQuota(read) : undefined);
}
