#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, TrunkbridgeError } from '../core/errors.js';
import { defaultConfigPath, loadConfigFile, loadDefaultConfig, redactConfig, type Config } from '../config/index.js';
import { TrunkbridgeApp } from '../app.js';
import { LiveConfiguration } from '../app/config.js';
import { defaultLogFormat } from '../core/logger.js';
import { botCheckCommand } from './bot-check.js';
import { configCommand } from './config-command.js';
import { reloadOnSighup } from './reload-signal.js';
import { testCallCommand } from './test-call.js';

const USAGE = `usage: trunkbridge [--config path.yaml] [--check]
       trunkbridge bot-check ws://host/path [--protocol twilio] (see trunkbridge bot-check --help)
       trunkbridge test-call sip:+15550100@host[:port] [--expect-echo] (see trunkbridge test-call --help)
       trunkbridge config export [--config path.yaml]   the live configuration (file + store) as YAML

  -c, --config PATH   YAML config (default: the embedded config/default.yaml:
                      SIP on udp 127.0.0.1:5060, every number answered by the echo bot)
      --check         validate the config, print it (secrets redacted) and exit
  -h, --help          this text

Environment: TRUNKBRIDGE_CONFIG (same as --config), LOG_LEVEL (overrides logging.level),
LOG_FORMAT=pretty (human-readable lines; the default on a TTY is pretty too, json otherwise).
Signals: SIGTERM/SIGINT drain (new calls get 503, calls in progress go on for up to
lifecycle.drainTimeoutSec), then exit 0; a second signal ends every call at once. SIGHUP reloads the config
file (README "Admin API").`;

function loadConfig(path: string | undefined): Config {
  return path ? loadConfigFile(path) : loadDefaultConfig();
}

async function main(): Promise<number> {
  if (process.argv[2] === 'config') {
    return configCommand(process.argv.slice(3), (t) => process.stdout.write(t), (l) => process.stderr.write(`${l}\n`));
  }
  if (process.argv[2] === 'test-call') {
    return testCallCommand(process.argv.slice(3), (l) => process.stdout.write(`${l}\n`), (l) => process.stderr.write(`${l}\n`));
  }
  if (process.argv[2] === 'bot-check') {
    return botCheckCommand(process.argv.slice(3), (l) => process.stdout.write(`${l}\n`), (l) => process.stderr.write(`${l}\n`));
  }
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const configPath = args.values.config ?? process.env.TRUNKBRIDGE_CONFIG;
  let config: Config;
  try {
    config = loadConfig(configPath);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.values.check) {
    process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
    return 0;
  }

  // Media worker threads build their own loggers from the environment: settle the format once for all threads.
  process.env.LOG_FORMAT ??= defaultLogFormat();
  let app: TrunkbridgeApp;
  let live: LiveConfiguration | undefined;
  try {
    // The store (dataDir) holds the routing sections once seeded: the running config comes from file + store.
    live = await LiveConfiguration.open(configPath ?? defaultConfigPath());
    app = new TrunkbridgeApp(live.current.config, { live });
  } catch (err) {
    await live?.close();
    if (err instanceof ConfigError || (err instanceof TrunkbridgeError && err.reason === 'store-failed')) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  app.logger.info({ config: configPath ?? '(embedded default)', store: live.store.location, revision: live.current.revision, seeded: live.seeded }, 'starting trunkbridge');
  if (live.fileChangedSinceImport) {
    app.logger.warn({ config: live.path, store: live.store.location }, "the file's routing sections changed since they were imported: the store's are used (SIGHUP or POST /v1/reload imports the file)");
  }
  // Nothing catches a throw that reached the event loop: Node ends the process (its state cannot be trusted), and
  // this monitor only says so first, as a log line with the error, where operators read the others.
  process.on('uncaughtExceptionMonitor', (err, origin) => app.logger.fatal({ err, origin, activeCalls: app.activeCalls }, 'uncaught exception: the process exits'));
  reloadOnSighup(live, app.logger);
  live.onFollowError((err, revision) => app.logger.error({ err, revision, store: live.store.location }, "another bridge's configuration revision cannot run here: keeping the current one"));
  try {
    await app.start();
  } catch (err) {
    app.logger.fatal({ err }, 'could not start');
    await live.close();
    return 1;
  }
  await untilStopped(app);
  await live.close();
  return 0;
}

/**
 * SIGTERM/SIGINT: drain (new calls refused with 503, calls in progress go on for up to
 * lifecycle.drainTimeoutSec, then BYE), then exit 0. A second signal ends every call at once.
 */
function untilStopped(app: TrunkbridgeApp): Promise<void> {
  return new Promise<void>((resolve) => {
    let signals = 0;
    const done = (err?: unknown): void => {
      if (err !== undefined) app.logger.error({ err }, 'error while stopping');
      resolve();
    };
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        app.logger.info({ signal: sig, activeCalls: app.activeCalls, drainTimeoutSec: app.config.lifecycle.drainTimeoutSec }, 'draining: new calls refused, calls in progress go on');
        app.drain().then(() => done(), done);
        return;
      }
      app.logger.warn({ signal: sig, activeCalls: app.activeCalls }, 'second signal: ending every call now');
      app.stop().then(() => done(), done);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`trunkbridge crashed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
