import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const V1_CPU = '/sys/fs/cgroup/cpu';
const V2_ROOT = '/sys/fs/cgroup';

/**
 * A cgroup with a CPU quota, made by the test itself (needs root, as `ip netns` does): the v1 `cpu` hierarchy
 * where it is mounted (this project's machines), else cgroup v2 with its `cpu` controller. A process joins it by
 * writing its pid to {@link procsFile}; the group is removed once its processes are gone.
 */
export class CpuQuotaGroup {
  private constructor(
    readonly dir: string,
    readonly procsFile: string,
  ) {}

  static create(cpus: number): CpuQuotaGroup {
    const name = `tb-test-${randomBytes(4).toString('hex')}`;
    const period = 100_000;
    const quota = Math.round(cpus * period);
    if (existsSync(join(V1_CPU, 'cpu.cfs_quota_us'))) {
      const dir = join(V1_CPU, name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(period));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
      return new CpuQuotaGroup(dir, join(dir, 'cgroup.procs'));
    }
    const controllers = readFileSync(join(V2_ROOT, 'cgroup.controllers'), 'utf8');
    if (!controllers.split(/\s+/).includes('cpu')) throw new Error(`no cgroup v1 cpu hierarchy at ${V1_CPU} and no cpu controller in cgroup v2 (${controllers.trim()})`);
    writeFileSync(join(V2_ROOT, 'cgroup.subtree_control'), '+cpu');
    const dir = join(V2_ROOT, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'cpu.max'), `${quota} ${period}`);
    return new CpuQuotaGroup(dir, join(dir, 'cgroup.procs'));
  }

  /** Removes the group (its processes must have exited). */
  destroy(): void {
    rmdirSync(this.dir);
  }
}
