/**
 * The wire end of a media session's send path: one outgoing RTP stream's header state (SSRC, sequence number,
 * stream timestamp), writing each packet into a preallocated ring slot, SRTP protection in place, the UDP send,
 * and the send counters. No Buffer is allocated per packet while a ring slot is free.
 */
import type { Logger } from '../core/logger.js';
import { writeRtpPacket, RTP_HEADER_SIZE } from './rtp/packet.js';
import type { RtpSocket } from './rtp/port-pool.js';
import type { RtcpReporter } from './rtcp/rtcp-reporter.js';
import type { SrtpSession } from './srtp/srtp-context.js';
import type { MediaSessionStats } from './media-session-types.js';

/**
 * Outgoing packets rotate through this many preallocated buffers. dgram reads a buffer only when the send
 * actually happens (after an async address lookup), so a slot is reused only once its send has completed;
 * if a burst finds the next slot still in flight, that packet gets a fresh buffer instead.
 */
const SEND_RING = 4;

interface SendSlot {
  buf: Buffer;
  busy: boolean;
  done: (err: Error | null) => void;
}

export interface RtpStreamSenderOptions {
  logger: Logger;
  socket: RtpSocket;
  ssrc: number;
  initialSeq: number;
  initialTimestamp: number;
  /** Stream timestamp advance per packet slot (clock rate × ptime). */
  timestampStep: number;
  /** Largest payload expected; bigger ones are sent from a fresh buffer. */
  maxPayload: number;
  srtp: SrtpSession | undefined;
  reporter: RtcpReporter;
  stats: MediaSessionStats;
  /** Where packets go; the session replaces it (latching, re-INVITE). */
  remote: { address: string; port: number };
}

export class RtpStreamSender {
  /** Current destination; replaced, never mutated, by the session. */
  remote: { address: string; port: number };
  private readonly o: RtpStreamSenderOptions;
  private ring: SendSlot[];
  private ringPos = 0;
  private seq: number;
  /** Stream timestamp of the next slot. */
  timestamp: number;
  private sendFailures = 0;
  private closed = false;

  constructor(o: RtpStreamSenderOptions) {
    this.o = o;
    this.remote = o.remote;
    this.seq = o.initialSeq;
    this.timestamp = o.initialTimestamp;
    this.ring = this.makeRing(o.maxPayload);
  }

  /**
   * A codec switch (re-INVITE): the stream timestamp moves on at the new clock rate from here (RFC 3550 §5.1
   * lets it jump; it simply continues), sequence numbers and SSRC stay. A larger payload gets new ring buffers
   * (the old ones still in flight are left to their sends).
   */
  setCodecFormat(timestampStep: number, maxPayload: number): void {
    this.o.timestampStep = timestampStep;
    if (maxPayload > this.o.maxPayload) {
      this.o.maxPayload = maxPayload;
      this.ring = this.makeRing(maxPayload);
      this.ringPos = 0;
    }
  }

  private makeRing(maxPayload: number): SendSlot[] {
    return Array.from({ length: SEND_RING }, () => {
      const slot: SendSlot = {
        buf: Buffer.alloc(RTP_HEADER_SIZE + maxPayload),
        busy: false,
        done: (err) => {
          slot.busy = false;
          this.onSendDone(err);
        },
      };
      return slot;
    });
  }

  /** Stops logging send failures (late completions after close). */
  close(): void {
    this.closed = true;
  }

  /** Lets `slots` packet slots pass with nothing sent (hold, silence suppression, a stalled loop). */
  skip(slots: number): void {
    this.timestamp = (this.timestamp + slots * this.o.timestampStep) >>> 0;
  }

  /**
   * Sends one RTP packet in this slot and advances sequence number and stream timestamp.
   * `slotTime` is the slot's nominal clock time, for the RTCP SR's NTP↔RTP mapping.
   */
  send(payloadType: number, marker: boolean, timestamp: number, payload: Buffer, slotTime: number): void {
    const step = this.o.timestampStep;
    const slot = this.ring[this.ringPos];
    const useSlot = !slot.busy && slot.buf.length >= RTP_HEADER_SIZE + payload.length;
    if (useSlot) {
      slot.busy = true;
      this.ringPos = (this.ringPos + 1) % SEND_RING;
    }
    let packet = writeRtpPacket(
      { marker, payloadType, sequenceNumber: this.seq, timestamp, ssrc: this.o.ssrc },
      payload,
      useSlot ? slot.buf : undefined,
    );
    // In place in the slot (it has room for the tag): no extra Buffer per packet.
    if (this.o.srtp) packet = this.o.srtp.local.protectRtp(packet, useSlot ? slot.buf : undefined);
    this.seq = (this.seq + 1) & 0xffff;
    this.timestamp = (this.timestamp + step) >>> 0;
    try {
      this.o.socket.socket.send(packet, this.remote.port, this.remote.address, useSlot ? slot.done : this.onSendDone);
    } catch (err) {
      // dgram throws synchronously on a bad destination; one call's bad address must never take the process down.
      if (useSlot) slot.done(null);
      this.onSendDone(err as Error);
      return;
    }
    this.o.stats.packetsSent++;
    this.o.stats.bytesSent += packet.length;
    // The slot's stream timestamp at the slot's nominal time: what the SR's NTP↔RTP mapping extrapolates from.
    this.o.reporter.onRtpSent((this.timestamp - step) >>> 0, payload.length, slotTime);
  }

  /** Logs the first send failure of the call, then every 500th: a dead route fails 50 times a second. */
  readonly onSendDone = (err: Error | null): void => {
    if (!err || this.closed) return;
    if (this.sendFailures++ % 500 === 0) {
      this.o.logger.warn({ err: err.message, remote: this.remote, failures: this.sendFailures }, 'RTP send failed');
    }
  };
}
