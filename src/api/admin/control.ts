import type { Config, ManagedConfig } from '../../config/index.js';

/** What the admin API asks of the live configuration (wired in app/config.ts / app/ops.ts). */
export interface AdminControl {
  current(): { revision: number; managed: ManagedConfig; config: Config };
  /**
   * Applies `change` to a copy of the managed sections under one lock, validates, stores, swaps.
   * Throws ConfigError (bad fields), a 'stale-revision' error (If-Match), a 'store-failed' error, or what `change` throws.
   */
  update(change: (m: ManagedConfig) => ManagedConfig, ifRevision?: number): Promise<{ revision: number }>;
  /** Re-reads the YAML file (SIGHUP does the same). Throws ConfigError naming the fields. */
  reload(): Promise<{ revision: number; imported: boolean; restartRequired: string[] }>;
  /** A registration's state; undefined when it is not running. */
  registrationState(name: string): string | undefined;
  /** Sends a REGISTER now; false when there is no such registration. */
  refreshRegistration(name: string): boolean;
  /** The node holding a registration's lease (a cluster's shared store only); undefined otherwise. */
  registrationHolder?(name: string): string | undefined;
}
