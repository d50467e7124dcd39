/**
 * What an ended call reports about its media: it first waits for the legs' last figures (an engine on another
 * thread sends them after the close), then adds them to the counters.
 */
import { settledWithin, type Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MediaQuality, MediaSessionStats } from '../media/index.js';
import type { CallObserver } from './call-events.js';
import { liveMediaStats } from './call-quality.js';
import { FINAL_FIGURES_WAIT_MS, type CallMedia } from './media-engine.js';

/** Resolves once every leg's last figures are in, or after FINAL_FIGURES_WAIT_MS (logged): then they are as last sent. */
export async function legsFinalFigures(media: readonly CallMedia[], clock: Clock, log: Logger): Promise<void> {
  if (!(await settledWithin(Promise.all(media.map((m) => m.finalFigures())), FINAL_FIGURES_WAIT_MS, clock))) {
    log.warn({ waitedMs: FINAL_FIGURES_WAIT_MS }, "the media's last figures did not come: reporting the last ones it sent");
  }
}

type MediaCounters = Pick<CallObserver, 'rtpTotals' | 'foreignPackets' | 'playoutDropped'>;

/** One leg's totals into the counters (each leg is one of our RTP ports). */
export function countLeg(observer: MediaCounters, stats: Readonly<MediaSessionStats>): void {
  observer.rtpTotals?.(stats.packetsReceived, stats.packetsSent, { received: stats.bytesReceived, sent: stats.bytesSent });
  if (stats.foreign) observer.foreignPackets?.(stats.foreign);
  if (stats.playoutDroppedMs) observer.playoutDropped?.(stats.playoutDroppedMs);
}

/** The call's quality (its caller leg's), with the MOS estimate, into the histogram. */
export function reportQuality(observer: Pick<CallObserver, 'mediaQuality'>, stats: Readonly<MediaSessionStats>, quality: MediaQuality | undefined): void {
  if (!quality) return;
  const mos = liveMediaStats(stats, quality).mos;
  observer.mediaQuality?.({ ...quality, ...(mos !== undefined ? { mos } : {}) });
}
