/**
 * SIGHUP: reload the YAML file into the live configuration (its routing sections replace the live ones). An
 * invalid file is refused with one error line naming every bad field; the running configuration stays.
 * Kept apart from main.ts's SIGTERM/SIGINT handling.
 */
import { ConfigError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { LiveConfiguration } from '../app/config.js';

/** Installs the SIGHUP handler; returns its removal. */
export function reloadOnSighup(live: LiveConfiguration, logger: Logger): () => void {
  const onHup = (): void => {
    logger.info({ file: live.path }, 'SIGHUP: reloading the configuration file');
    live.reload().then(
      (r) => {
        logger.info({ revision: r.revision, imported: r.imported, restartRequired: r.restartRequired }, r.imported ? 'configuration reloaded (SIGHUP)' : 'configuration file unchanged since its last import: the live configuration stays (SIGHUP)');
        if (r.restartRequired.length > 0) logger.warn({ sections: r.restartRequired }, 'these sections changed in the file and take effect only after a restart');
      },
      (err: unknown) => {
        if (err instanceof ConfigError) {
          logger.error({ file: live.path, issues: err.issues, revision: live.current.revision }, 'reload refused: the file is invalid, the running configuration stays');
        } else {
          logger.error({ err, file: live.path }, 'reload failed: the running configuration stays');
        }
      },
    );
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
