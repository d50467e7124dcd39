import { describe, expect, it } from 'vitest';
import { cgroupCpuQuota, cpuLimitOf, parseCfsQuota, parseCpuMax, parseMountinfo, parseProcCgroup, type ReadText } from '../../../src/app/cpu-limit.js';

/** This project's VM: cgroup v1 controllers plus an empty v2 hierarchy (a "hybrid" host). */
const HYBRID_MOUNTINFO = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

/** Docker on cgroup v1 without a cgroup namespace: the container's own group is mounted as the hierarchy's root. */
const DOCKER_V1_MOUNTINFO = [
  '720 711 0:64 /docker/4f2a /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:11 - cgroup cgroup rw,cpu,cpuacct',
  '721 711 0:65 /docker/4f2a /sys/fs/cgroup/memory ro,nosuid master:12 - cgroup cgroup rw,memory',
].join('\n');
const DOCKER_V1_CGROUP = ['12:memory:/docker/4f2a', '4:cpu,cpuacct:/docker/4f2a', '1:name=systemd:/docker/4f2a'].join('\n');

/** A unified (v2-only) host, e.g. a systemd service in its slice. */
const V2_MOUNTINFO = '29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot';

function files(map: Record<string, string>): ReadText {
  return (path) => map[path];
}

describe('parseMountinfo', () => {
  it.each([
    ['hybrid host: v1 cpu and the v2 hierarchy, not the other controllers', HYBRID_MOUNTINFO, [
      { version: 1, root: '/', mountPoint: '/sys/fs/cgroup/cpu' },
      { version: 2, root: '/', mountPoint: '/sys/fs/cgroup/unified' },
    ]],
    ['docker v1: cpu shares its hierarchy with cpuacct; the root is the container group', DOCKER_V1_MOUNTINFO, [
      { version: 1, root: '/docker/4f2a', mountPoint: '/sys/fs/cgroup/cpu,cpuacct' },
    ]],
    ['v2 only, with optional fields before the separator', V2_MOUNTINFO, [{ version: 2, root: '/', mountPoint: '/sys/fs/cgroup' }]],
    ['escaped space in the mount point', '50 1 0:40 / /mnt/my\\040cg rw - cgroup2 none rw', [{ version: 2, root: '/', mountPoint: '/mnt/my cg' }]],
    ['no cgroup mounts, blank and short lines', '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n\n1 2 3', []],
  ])('%s', (_name, text, expected) => {
    expect(parseMountinfo(text)).toEqual(expected);
  });
});

describe('parseProcCgroup', () => {
  it.each([
    ['v1 with a combined cpu,cpuacct line', DOCKER_V1_CGROUP, { v1Cpu: '/docker/4f2a' }],
    ['v2 only', '0::/system.slice/trunkbridge.service', { v2: '/system.slice/trunkbridge.service' }],
    ['hybrid: both', '1:cpu:/tbtest\n2:cpuacct:/\n0::/', { v1Cpu: '/tbtest', v2: '/' }],
    ['cpuset is not cpu', '3:cpuset:/x', {}],
  ])('%s', (_name, text, expected) => {
    expect(parseProcCgroup(text)).toEqual(expected);
  });
});

describe('quota files', () => {
  it.each([
    ['200000 100000', 2],
    ['150000 100000\n', 1.5],
    ['50000 100000', 0.5],
    ['max 100000', undefined],
    ['max', undefined],
    ['0 100000', undefined],
    ['garbage', undefined],
  ])('cpu.max %j', (text, cpus) => {
    expect(parseCpuMax(text)).toBe(cpus);
  });

  it.each([
    ['-1', '100000', undefined],
    ['50000\n', '100000\n', 0.5],
    ['300000', '100000', 3],
    ['50000', '0', undefined],
  ])('cfs quota %j, period %j', (quota, period, cpus) => {
    expect(parseCfsQuota(quota, period)).toBe(cpus);
  });
});

describe('cgroupCpuQuota', () => {
  const cases: Array<{ name: string; files: Record<string, string>; cpus: number | undefined }> = [
    {
      name: 'a host with no quota anywhere: none',
      files: {
        '/proc/self/mountinfo': HYBRID_MOUNTINFO,
        '/proc/self/cgroup': '1:cpu:/\n0::/',
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
        '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
      },
      cpus: undefined,
    },
    {
      name: 'a v1 group of its own: its quota',
      files: {
        '/proc/self/mountinfo': HYBRID_MOUNTINFO,
        '/proc/self/cgroup': '1:cpu:/tbtest\n0::/',
        '/sys/fs/cgroup/cpu/tbtest/cpu.cfs_quota_us': '50000',
        '/sys/fs/cgroup/cpu/tbtest/cpu.cfs_period_us': '100000',
        '/sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
        '/sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
      },
      cpus: 0.5,
    },
    {
      name: 'docker v1: the container group mounted as the root is read at the mount point',
      files: {
        '/proc/self/mountinfo': DOCKER_V1_MOUNTINFO,
        '/proc/self/cgroup': DOCKER_V1_CGROUP,
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '200000',
        '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000',
      },
      cpus: 2,
    },
    {
      name: 'v2: a parent slice limits more than the service: the least on the way up',
      files: {
        '/proc/self/mountinfo': V2_MOUNTINFO,
        '/proc/self/cgroup': '0::/bots.slice/trunkbridge.service',
        '/sys/fs/cgroup/bots.slice/trunkbridge.service/cpu.max': 'max 100000',
        '/sys/fs/cgroup/bots.slice/cpu.max': '150000 100000',
      },
      cpus: 1.5,
    },
    {
      name: 'v2 with a cgroup namespace (Docker, Kubernetes): "/" is the container, its cpu.max at the mount point',
      files: { '/proc/self/mountinfo': V2_MOUNTINFO, '/proc/self/cgroup': '0::/', '/sys/fs/cgroup/cpu.max': '400000 100000' },
      cpus: 4,
    },
    {
      name: 'a group outside what the mount shows is not guessed at',
      files: {
        '/proc/self/mountinfo': '60 1 0:40 /docker/aaaa /sys/fs/cgroup rw - cgroup2 cgroup2 rw',
        '/proc/self/cgroup': '0::/other',
        '/sys/fs/cgroup/cpu.max': '100000 100000',
      },
      cpus: undefined,
    },
    { name: 'no /proc (not Linux, or hidden): none', files: {}, cpus: undefined },
  ];

  it.each(cases)('$name', ({ files: map, cpus }) => {
    expect(cgroupCpuQuota(files(map))).toBe(cpus);
  });
});

describe('cpuLimitOf', () => {
  it.each([
    [64, undefined, 64],
    [64, 2, 2],
    [64, 1.5, 1], // half a CPU is not a worker's worth: it would be throttled with the others
    [64, 0.5, 1], // at least one
    [2, 8, 2], // the quota does not add cores
  ])('%i cores, quota %s: %i', (cores, quota, cpus) => {
    expect(cpuLimitOf(cores, quota).cpus).toBe(cpus);
  });
});
