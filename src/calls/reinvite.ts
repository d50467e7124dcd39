import type { Logger } from '../core/logger.js';
import { sipStatusOf } from '../core/errors.js';
import { mirrorDirection, negotiateAnswer, type MediaDirection } from '../sdp/index.js';
import type { CodecSwitch } from '../media/media-session.js';
import type { DialogSignal } from './signaling.js';

/** The part of a media session a re-INVITE changes. */
export interface ReinvitableMedia {
  updateRemote(remote: { address: string; port: number }): void;
  setDirection(direction: MediaDirection): void;
  switchCodec(change: CodecSwitch): void;
}

export interface ReinviteOptions {
  /** Our address and port as in the first answer (they do not change). */
  localAddress: string;
  localPort: number;
  /** The codec and payload type the media session runs at setup. */
  codecName: string;
  payloadType: number;
  /**
   * The call's codec preference (the trunk's): a new offer without the running codec is answered with the best
   * of these and the media session switches. The running codec stays first while offered. Default: only it.
   */
  codecPreference?: string[];
  /** The remote RTP address negotiated at call setup. */
  remote: { address: string; port: number };
  /** Our SDP as last sent (the 200 OK body); re-INVITEs without an offer are answered with it. */
  localSdp: string;
  /**
   * The call runs SRTP with these keys: a new offer must stay RTP/SAVP with the same far-end key (the media
   * session cannot re-key mid-call; a changed key gets 488), and our answer repeats our key.
   */
  srtp?: { localKeySalt: Buffer; remoteKeySalt: Buffer };
}

/**
 * Handles in-dialog offers (re-INVITE and UPDATE, RFC 3264 §8 / RFC 3311) for an answered call: hold
 * (sendonly/inactive, or the RFC 2543 c=0.0.0.0 form) stops our RTP, resume restarts it, a new remote address
 * or port is applied to the media session, and the answer's o= version increases with every new answer
 * (RFC 3264 §8: "the version number ... MUST be incremented"). The running codec is kept while the offer has
 * it; otherwise the best one of the call's preference is chosen and the media session switches to it (RFC 3264
 * §8.3.2); an offer with none of ours gets 488 and the session continues unchanged. A re-INVITE without an offer
 * gets our current SDP as the offer.
 */
export function handleReinvites(dialog: DialogSignal, media: ReinvitableMedia, options: ReinviteOptions, log: Logger): void {
  let localSdp = options.localSdp;
  let remote = { ...options.remote };
  let running = { codecName: options.codecName, payloadType: options.payloadType };
  dialog.on('reinvite', (offer, answer, reject) => {
    if (offer === undefined) {
      answer(localSdp);
      return;
    }
    try {
      const n = negotiateAnswer(offer, {
        localAddress: options.localAddress,
        localPort: options.localPort,
        // The running codec first: no needless switch while the far end still offers it.
        codecPreference: [running.codecName, ...(options.codecPreference ?? []).filter((c) => c.toUpperCase() !== running.codecName.toUpperCase())],
        ...(options.srtp ? { srtp: 'required' as const, localSrtpKeySalt: options.srtp.localKeySalt } : {}),
      });
      if (options.srtp && !n.srtp?.remoteKeySalt.equals(options.srtp.remoteKeySalt)) {
        log.info('re-INVITE changes the SRTP key; re-keying is not supported, refused');
        reject(488);
        return;
      }
      const holdAddress = n.remote.address === '0.0.0.0' || n.remote.address === '::';
      const ours: MediaDirection = holdAddress ? 'inactive' : mirrorDirection(n.direction);
      if (!holdAddress && (n.remote.address !== remote.address || n.remote.port !== remote.port)) {
        log.info({ from: remote, to: n.remote }, 're-INVITE moved the remote RTP address');
        remote = { ...n.remote };
        media.updateRemote(remote);
      }
      if (n.codec.name !== running.codecName || n.payloadType !== running.payloadType) {
        log.info({ from: running, to: { codecName: n.codec.name, payloadType: n.payloadType } }, 're-INVITE changes the codec; switching');
        media.switchCodec({
          codec: n.codec,
          payloadType: n.payloadType,
          receivable: n.receivable,
          ...(n.remoteFmtp !== undefined ? { remoteFmtp: n.remoteFmtp } : {}),
          ...(n.telephoneEvent ? { telephoneEvent: n.telephoneEvent } : {}),
        });
        running = { codecName: n.codec.name, payloadType: n.payloadType };
      }
      media.setDirection(ours);
      log.info({ direction: ours }, ours === 'sendrecv' ? 'call resumed' : 'call direction changed');
      localSdp = withNextVersion(localSdp, n.answerSdp);
      answer(localSdp);
    } catch (err) {
      log.info({ err: (err as Error).message }, 're-INVITE offer refused');
      reject(sipStatusOf(err) === 500 ? 488 : sipStatusOf(err));
    }
  });
}

/** `next` with the o= session id of `previous` and its version plus one. */
export function withNextVersion(previous: string, next: string): string {
  const o = /^o=(\S+) (\S+) (\d+)/m.exec(previous);
  if (!o) return next;
  const version = (BigInt(o[3]) + 1n).toString();
  return next.replace(/^o=(\S+) (\S+) (\d+)/m, `o=${o[1]} ${o[2]} ${version}`);
}
