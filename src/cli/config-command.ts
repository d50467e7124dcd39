/** `trunkbridge config export [--config path.yaml]`: the live configuration (the file and its store) as YAML. */
import { parseArgs } from 'node:util';
import { TrunkbridgeError } from '../core/errors.js';
import { defaultConfigPath } from '../config/index.js';
import { exportConfiguration } from '../app/config.js';

const USAGE = `usage: trunkbridge config export [--config path.yaml]

Prints the configuration the bridge runs: the file's listeners, media, API and logging sections and the routing
sections (bots, trunks, numbers, destinations, registrations) from the store under dataDir, as YAML. Secrets are
included (it is a backup a restore can use): keep the output as private as the store.`;

/** Returns the exit code: 0 printed, 2 bad usage or an unreadable file or store. */
export async function configCommand(argv: string[], out: (text: string) => void, err: (line: string) => void): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    out(`${USAGE}\n`);
    return 0;
  }
  if (args.positionals.length !== 1 || args.positionals[0] !== 'export') {
    err(USAGE);
    return 2;
  }
  try {
    out(await exportConfiguration(args.values.config ?? process.env.TRUNKBRIDGE_CONFIG ?? defaultConfigPath()));
    return 0;
  } catch (e) {
    if (e instanceof TrunkbridgeError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
}
