import type { Logger } from '../core/logger.js';
import { sipStatusOf } from '../core/errors.js';
import { mirrorDirection, negotiateAnswer, type MediaDirection } from '../sdp/index.js';
import type { DialogSignal } from './signaling.js';

/** The part of a media session a re-INVITE changes. */
export interface ReinvitableMedia {
  updateRemote(remote: { address: string; port: number }): void;
  setDirection(direction: MediaDirection): void;
}

export interface ReinviteOptions {
  /** Our address and port as in the first answer (they do not change). */
  localAddress: string;
  localPort: number;
  /** The codec and payload type the media session runs; a new offer must keep them (we cannot switch mid-call). */
  codecName: string;
  payloadType: number;
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
 * (RFC 3264 §8: "the version number ... MUST be incremented"). An offer without our running codec is refused
 * with 488 and the session continues unchanged. A re-INVITE without an offer gets our current SDP as the offer.
 */
export function handleReinvites(dialog: DialogSignal, media: ReinvitableMedia, options: ReinviteOptions, log: Logger): void {
  let localSdp = options.localSdp;
  let remote = { ...options.remote };
  dialog.on('reinvite', (offer, answer, reject) => {
    if (offer === undefined) {
      answer(localSdp);
      return;
    }
    try {
      const n = negotiateAnswer(offer, {
        localAddress: options.localAddress,
        localPort: options.localPort,
        codecPreference: [options.codecName],
        ...(options.srtp ? { srtp: 'required' as const, localSrtpKeySalt: options.srtp.localKeySalt } : {}),
      });
      if (options.srtp && !n.srtp?.remoteKeySalt.equals(options.srtp.remoteKeySalt)) {
        log.info('re-INVITE changes the SRTP key; re-keying is not supported, refused');
        reject(488);
        return;
      }
      if (n.payloadType !== options.payloadType) {
        log.info({ offered: n.payloadType, running: options.payloadType }, 're-INVITE changes the payload type; refused');
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
