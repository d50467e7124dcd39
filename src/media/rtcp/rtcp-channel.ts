/**
 * The wire side of one call's RTCP: where reports go (a=rtcp, RTP port + 1, or the RTP port with rtcp-mux),
 * when (RFC 3550 6.3.1 randomised interval, polled from the media session's send tick: no timer of its own),
 * SRTCP protection, symmetric-RTCP latching, and reading the far end's reports into the {@link RtcpReporter}.
 */
import type dgram from 'node:dgram';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { LastPacket, RtpSocket } from '../rtp/port-pool.js';
import { SrtpError, type SrtpSession } from '../srtp/srtp-context.js';
import { rtcpInterval, type RtcpInput, type RtcpReporter } from './rtcp-reporter.js';

type Address = { address: string; port: number };

export interface RtcpChannelOptions {
  clock: Clock;
  logger: Logger;
  rtp: RtpSocket;
  reporter: RtcpReporter;
  /** RTCP shares the RTP socket (RFC 5761). */
  mux: boolean;
  /** RTP remote from SDP; the RTCP remote is derived from it unless `given` (a=rtcp). */
  rtpRemote: Address;
  given?: { address?: string; port: number };
  /** Nominal report interval, ms. */
  intervalMs: number;
  latching: 'any' | 'same-ip' | 'off';
  srtp?: SrtpSession;
  /** Maps an address for the socket's family (IPv4 peers from a udp6 socket). */
  sendable: (a: Address) => Address;
  /** A valid compound packet arrived. */
  onInput: (input: RtcpInput) => void;
  onSendDone: (err: Error | null) => void;
}

export class RtcpChannel {
  private readonly o: RtcpChannelOptions;
  /** False when there is neither an RTCP socket nor mux: nothing is sent or read. */
  readonly enabled: boolean;
  private remote: Address;
  private latched = false;
  private nextAt = Infinity;
  private invalid = 0;
  private srtcpFailures = 0;

  constructor(o: RtcpChannelOptions) {
    this.o = o;
    this.enabled = o.mux || o.rtp.rtcp !== undefined;
    this.remote = this.target(o.rtpRemote, o.given);
  }

  /** Starts listening on the RTCP socket and schedules the first report (after half an interval, randomised). */
  start(now: number): void {
    if (!this.enabled) return;
    if (!this.o.mux && this.o.rtp.rtcp) {
      this.o.rtp.rtcp.on('message', this.onMessage);
      this.o.rtp.rtcp.on('error', this.onError);
    }
    this.nextAt = now + rtcpInterval(this.o.intervalMs, true);
  }

  /** Sends a report if one is due. With mux, RTCP follows the (possibly latched) RTP target `rtpTarget`. */
  poll(now: number, rtpTarget: Address): void {
    if (now < this.nextAt) return;
    this.nextAt = now + rtcpInterval(this.o.intervalMs, false);
    const packet = this.protect(this.o.reporter.buildReport(now));
    const to = this.o.mux ? rtpTarget : this.remote;
    const socket = this.o.mux ? this.o.rtp.socket : this.o.rtp.rtcp;
    if (!socket) return;
    try {
      socket.send(packet, to.port, to.address, this.o.onSendDone);
    } catch (err) {
      this.o.onSendDone(err as Error);
    }
  }

  /** The RTP remote changed (re-INVITE): RTCP follows unless a=rtcp fixed it. */
  updateRemote(rtpRemote: Address): void {
    if (!this.o.given) this.remote = this.target(rtpRemote, undefined);
    this.latched = false;
  }

  /** The final report with BYE (RFC 3550 6.6), to send as the sockets close. */
  lastPacket(now: number, rtpTarget: Address): LastPacket | undefined {
    if (!this.enabled) return undefined;
    const to = this.o.mux ? rtpTarget : this.remote;
    return { via: this.o.mux ? 'rtp' : 'rtcp', packet: this.protect(this.o.reporter.buildReport(now, true)), port: to.port, address: to.address };
  }

  /** Stops listening (the sockets themselves are closed by their owner). */
  stop(): void {
    this.nextAt = Infinity;
    this.o.rtp.rtcp?.off('message', this.onMessage);
    this.o.rtp.rtcp?.off('error', this.onError);
  }

  /** A datagram that is RTCP (from the RTCP socket, or demultiplexed from the RTP socket with mux). */
  readonly onMessage = (raw: Buffer, rinfo: dgram.RemoteInfo): void => {
    const msg = this.o.srtp ? this.unprotect(raw) : raw;
    if (!msg) return;
    const input = this.o.reporter.onRtcp(msg, this.o.clock.now());
    if (!input) {
      if (this.invalid++ % 100 === 0) this.o.logger.debug({ bytes: msg.length, from: rinfo.address }, 'invalid RTCP packet ignored');
      return;
    }
    if (!this.o.mux && !this.latched) {
      // Symmetric RTCP, under the same latching rule as RTP.
      this.latched = true;
      const l = this.o.latching;
      if (rinfo.port > 0 && (l === 'any' || (l === 'same-ip' && rinfo.address === this.remote.address))) {
        this.remote = { address: rinfo.address, port: rinfo.port };
      }
    }
    if (input.bye.length > 0) this.o.logger.info({ ssrcs: input.bye }, 'RTCP BYE from the far end');
    this.o.onInput(input);
  };

  private protect(packet: Buffer): Buffer {
    return this.o.srtp ? this.o.srtp.local.protectRtcp(packet) : packet;
  }

  private unprotect(raw: Buffer): Buffer | null {
    try {
      return this.o.srtp!.remote.unprotectRtcp(raw);
    } catch (err) {
      if (!(err instanceof SrtpError)) throw err;
      if (this.srtcpFailures++ % 100 === 0) this.o.logger.warn({ err: err.message, kind: err.kind }, 'SRTCP packet dropped');
      return null;
    }
  }

  /** a=rtcp when given, else the RTP address on port + 1 (or the RTP port itself with mux). */
  private target(rtp: Address, given: { address?: string; port: number } | undefined): Address {
    if (given) return this.o.sendable({ address: given.address ?? rtp.address, port: given.port });
    return this.o.sendable({ address: rtp.address, port: this.o.mux ? rtp.port : rtp.port + 1 });
  }

  private readonly onError = (err: Error): void => {
    this.o.logger.warn({ err }, 'RTCP socket error');
  };
}
