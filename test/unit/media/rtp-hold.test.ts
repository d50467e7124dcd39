import { EventEmitter } from 'node:events';
import type { RemoteInfo, Socket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { RtpHold } from '../../../src/media/rtp/rtp-hold.js';
import type { RtpSocket } from '../../../src/media/index.js';

const rinfo: RemoteInfo = { address: '127.0.0.1', family: 'IPv4', port: 4000, size: 1 };

function fakeRtp(): { rtp: RtpSocket; socket: EventEmitter; packet: (n: number) => void } {
  const socket = new EventEmitter();
  const rtp = { port: 10000, socket: socket as unknown as Socket, close: () => {} };
  return { rtp, socket, packet: (n) => socket.emit('message', Buffer.from([n]), rinfo) };
}

describe('RtpHold', () => {
  it('replays what arrived before the session listened, in order, then stops holding', () => {
    const { rtp, socket, packet } = fakeRtp();
    const hold = new RtpHold(rtp);
    packet(1);
    packet(2);
    const seen: number[] = [];
    socket.on('message', (m: Buffer) => seen.push(m[0]));
    hold.replay();
    packet(3);
    expect(seen).toEqual([1, 2, 3]);
    expect(socket.listenerCount('message')).toBe(1);
    expect(hold.size).toBe(0);
  });

  it('at answer keeps only the last pre-answer packets; bounded to the most recent `max`', () => {
    const { rtp, socket, packet } = fakeRtp();
    const hold = new RtpHold(rtp, 4, 2);
    for (let i = 1; i <= 10; i++) packet(i); // early media
    hold.answered();
    expect(hold.size).toBe(2);
    packet(11);
    packet(12);
    packet(13); // bound 4: drops 9
    const seen: number[] = [];
    socket.on('message', (m: Buffer) => seen.push(m[0]));
    hold.replay();
    expect(seen).toEqual([10, 11, 12, 13]);
  });

  it('release forgets the packets and removes its listener; replay after release does nothing', () => {
    const { rtp, socket, packet } = fakeRtp();
    const hold = new RtpHold(rtp);
    packet(1);
    hold.release();
    expect(socket.listenerCount('message')).toBe(0);
    const seen: number[] = [];
    socket.on('message', (m: Buffer) => seen.push(m[0]));
    hold.replay();
    expect(seen).toEqual([]);
  });
});
