/** A call's RTP figures as the calls API and metrics show them: counters, loss, jitter, RTT and a MOS estimate. */
import { estimateMos, lossPercent, type AudioLevels, type MediaQuality, type MediaSessionStats } from '../media/index.js';
import type { LiveLevels, LiveMediaStats } from './call.js';

/** From a leg's counters and (when RTCP-style figures exist) its quality. */
export function liveMediaStats(stats: Readonly<MediaSessionStats>, quality: MediaQuality | undefined): LiveMediaStats {
  const lost = quality?.packetsLost ?? stats.packetsLost;
  const received = quality?.packetsReceived ?? stats.packetsReceived;
  const loss = lossPercent(received, lost);
  const out: LiveMediaStats = {
    packetsReceived: stats.packetsReceived,
    packetsSent: stats.packetsSent,
    bytesReceived: stats.bytesReceived,
    bytesSent: stats.bytesSent,
    packetsLost: lost,
    lossPercent: Math.round(loss * 100) / 100,
  };
  if (quality) {
    out.jitterMs = Math.round(quality.jitterMs * 100) / 100;
    if (quality.rttMs !== undefined) out.rttMs = Math.round(quality.rttMs * 100) / 100;
    // Nothing received yet: no figures to judge the call by.
    if (received > 0) out.mos = estimateMos({ lossPercent: loss, jitterMs: quality.jitterMs, ...(quality.rttMs !== undefined ? { rttMs: quality.rttMs } : {}) });
  }
  return out;
}

/** The caller's leg's levels as the calls API names them: what it receives went to the bot, what it sends came from it. */
export function liveLevels(levels: AudioLevels | undefined): { levels?: LiveLevels } {
  return levels ? { levels: { callerToBot: levels.received, botToCaller: levels.sent } } : {};
}
