import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../../src/core/typed-emitter.js';

interface Events {
  tick: (n: number) => void;
  pair: (a: string, b: number) => void;
  none: () => void;
}

/** Collects listener errors instead of rethrowing them. */
function emitter(): { e: TypedEmitter<Events>; errors: Array<[unknown, string]> } {
  const errors: Array<[unknown, string]> = [];
  return { e: new TypedEmitter<Events>({ onListenerError: (err, event) => errors.push([err, event]) }), errors };
}

describe('TypedEmitter', () => {
  it('calls listeners in order with the arguments and the emitter as this; emit says whether anyone listened', () => {
    const { e } = emitter();
    const got: string[] = [];
    let self: unknown;
    expect(e.emit('pair', 'x', 1)).toBe(false);
    e.on('pair', function (this: unknown, a, b) {
      self = this;
      got.push(`1:${a}${b}`);
    });
    e.on('pair', (a, b) => got.push(`2:${a}${b}`));
    e.on('none', () => got.push('none'));
    expect(e.emit('pair', 'x', 1)).toBe(true);
    expect(e.emit('none')).toBe(true);
    expect(got).toEqual(['1:x1', '2:x1', 'none']);
    expect(self).toBe(e);
  });

  it.each([
    { name: 'only listener', before: 0, after: 0 },
    { name: 'first of two', before: 0, after: 1 },
    { name: 'last of two', before: 1, after: 0 },
    { name: 'middle of three', before: 1, after: 1 },
  ])('a listener that throws ($name) does not stop the others nor escape emit', ({ before, after }) => {
    const { e, errors } = emitter();
    const got: number[] = [];
    for (let i = 0; i < before; i++) e.on('tick', (n) => got.push(n));
    const boom = new Error('boom');
    e.on('tick', () => {
      throw boom;
    });
    for (let i = 0; i < after; i++) e.on('tick', (n) => got.push(n));
    expect(() => e.emit('tick', 7)).not.toThrow();
    expect(got).toEqual(Array(before + after).fill(7));
    expect(errors).toEqual([[boom, 'tick']]);
  });

  it('without a handler, a listener error is rethrown on a microtask, after emit returned', async () => {
    const e = new TypedEmitter<Events>();
    const boom = new Error('late');
    e.on('none', () => {
      throw boom;
    });
    const seen = new Promise<unknown>((resolve) => {
      const original = queueMicrotask;
      globalThis.queueMicrotask = (fn) => {
        globalThis.queueMicrotask = original;
        try {
          fn();
        } catch (err) {
          resolve(err);
        }
      };
    });
    let after = false;
    e.emit('none');
    after = true;
    expect(after).toBe(true);
    await expect(seen).resolves.toBe(boom);
  });

  it('a subclass can route listener errors through its own hook', () => {
    const logged: string[] = [];
    class Logged extends TypedEmitter<Events> {
      protected override onListenerError(error: unknown, event: string): void {
        logged.push(`${event}:${(error as Error).message}`);
      }
    }
    const e = new Logged();
    e.on('tick', () => {
      throw new Error('x');
    });
    e.emit('tick', 1);
    expect(logged).toEqual(['tick:x']);
  });

  it('once fires a single time, even when the emit that fires it re-emits', () => {
    const { e } = emitter();
    const got: number[] = [];
    e.once('tick', (n) => {
      got.push(n);
      e.emit('tick', n + 1);
    });
    e.emit('tick', 1);
    e.emit('tick', 5);
    expect(got).toEqual([1]);
    expect(e.listenerCount('tick')).toBe(0);
  });

  it('off removes a plain listener, a once wrapper by its original, and the latest duplicate only', () => {
    const { e } = emitter();
    const got: string[] = [];
    const a = () => got.push('a');
    const b = () => got.push('b');
    e.on('none', a);
    e.on('none', b);
    e.on('none', a);
    e.off('none', a);
    e.emit('none');
    expect(got).toEqual(['a', 'b']);
    got.length = 0;
    const c = () => got.push('c');
    e.once('none', c);
    e.off('none', c);
    e.off('none', c); // nothing left to remove: no effect
    e.off('tick', () => undefined); // unknown event: no effect
    e.emit('none');
    expect(got).toEqual(['a', 'b']);
    expect(e.listenerCount('none')).toBe(2);
  });

  it('listeners added or removed during an emit take effect from the next emit', () => {
    const { e } = emitter();
    const got: string[] = [];
    const late = () => got.push('late');
    const second = () => got.push('second');
    e.on('none', () => {
      got.push('first');
      e.off('none', second);
      e.on('none', late);
    });
    e.on('none', second);
    e.emit('none');
    expect(got).toEqual(['first', 'second']);
    got.length = 0;
    e.emit('none'); // the snapshot holds 'late' once; this emit's own addition waits for the next
    expect(got).toEqual(['first', 'late']);
  });

  it('listenerCount and removeAllListeners (one event, then all)', () => {
    const { e } = emitter();
    e.on('tick', () => undefined);
    e.on('tick', () => undefined);
    e.on('none', () => undefined);
    expect(e.listenerCount('tick')).toBe(2);
    e.removeAllListeners('tick');
    expect(e.listenerCount('tick')).toBe(0);
    expect(e.listenerCount('none')).toBe(1);
    e.removeAllListeners();
    expect(e.emit('none')).toBe(false);
  });

  it("'error' is an ordinary event: no listener, no throw", () => {
    const e = new TypedEmitter<{ error: (err: Error) => void }>();
    expect(e.emit('error', new Error('nobody listens'))).toBe(false);
  });
});
