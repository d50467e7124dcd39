/**
 * A small typed event emitter whose `emit` is safe: a listener that throws neither stops the other listeners nor
 * unwinds into the emitting code (a state machine half way through a transition, a socket's receive loop).
 * Same idea as mediasoup's `safeEmit`; the API is the familiar subset of node's EventEmitter.
 */

/** Called with what a listener threw and the event it was listening to. */
export type ListenerErrorHandler = (error: unknown, event: string) => void;

export interface TypedEmitterOptions {
  /**
   * Where listener errors go. Default: {@link TypedEmitter.onListenerError}, which a subclass with a logger
   * overrides; without either, the error is rethrown on a microtask (see there).
   */
  onListenerError?: ListenerErrorHandler;
}

/** Every event maps to a listener signature; `Events` may be an interface or a type alias. */
export type EventMap<Events> = { [K in keyof Events]: (...args: any[]) => void };

type Listener = (...args: unknown[]) => void;

/** A `once` wrapper remembers what it wraps so `off(event, original)` finds it (as node's does). */
interface OnceWrapper extends Listener {
  readonly listener: Listener;
}

/**
 * Typed `on/once/off/emit` over an events map, e.g. `class Call extends TypedEmitter<{ end: (why: string) => void }>`.
 *
 * Differences from node's EventEmitter, on purpose:
 * - `emit` catches what each listener throws and hands it to {@link onListenerError}; the remaining listeners
 *   still run and `emit` returns normally.
 * - `'error'` is an ordinary event: emitting it without a listener does not throw (none of our emitters used
 *   node's special case).
 * - No max-listener warning, no `newListener`/`removeListener` meta events.
 *
 * Listeners run synchronously in the order added, with `this` set to the emitter. A listener added during an
 * emit is first called by the next emit; one removed during an emit is still called by the current one
 * (node's snapshot semantics).
 */
export class TypedEmitter<Events extends EventMap<Events>> {
  /**
   * One listener is stored bare, several as an array that is never mutated but replaced on every change
   * (copy-on-write): `emit` runs 50 times a second per call for media frames and so iterates what it finds
   * without copying, allocating nothing beyond its rest arguments.
   */
  private readonly listenersByEvent = new Map<keyof Events, Listener | readonly Listener[]>();
  private readonly errorHandler: ListenerErrorHandler | undefined;

  constructor(options: TypedEmitterOptions = {}) {
    this.errorHandler = options.onListenerError;
  }

  /** Adds `listener` for `event` (the same function twice is called twice, as in node). */
  on<K extends keyof Events>(event: K, listener: Events[K]): this {
    const fn = listener as Listener;
    const current = this.listenersByEvent.get(event);
    if (current === undefined) this.listenersByEvent.set(event, fn);
    else if (typeof current === 'function') this.listenersByEvent.set(event, [current, fn]);
    else this.listenersByEvent.set(event, [...current, fn]);
    return this;
  }

  /** Adds `listener` for the next `event` only; it is removed before it is called. */
  once<K extends keyof Events>(event: K, listener: Events[K]): this {
    const original = listener as Listener;
    const wrapper = Object.assign(
      (...args: unknown[]): void => {
        this.off(event, wrapper as unknown as Events[K]);
        original.apply(this, args);
      },
      { listener: original },
    );
    return this.on(event, wrapper as unknown as Events[K]);
  }

  /** Removes the most recently added registration of `listener` (or of a `once` wrapping it). */
  off<K extends keyof Events>(event: K, listener: Events[K]): this {
    const current = this.listenersByEvent.get(event);
    if (current === undefined) return this;
    if (typeof current === 'function') {
      if (matches(current, listener)) this.listenersByEvent.delete(event);
      return this;
    }
    for (let i = current.length - 1; i >= 0; i--) {
      if (!matches(current[i], listener)) continue;
      const rest = current.filter((_, j) => j !== i);
      this.listenersByEvent.set(event, rest.length === 1 ? rest[0] : rest);
      break;
    }
    return this;
  }

  /**
   * Calls every listener of `event` with `args`. True when there was at least one. Never throws because of a
   * listener: what one throws goes to {@link onListenerError} and the next listener runs.
   */
  emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): boolean {
    const current = this.listenersByEvent.get(event);
    if (current === undefined) return false;
    if (typeof current === 'function') {
      this.callListener(current, event, args);
      return true;
    }
    for (let i = 0; i < current.length; i++) this.callListener(current[i], event, args);
    return true;
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof Events): number {
    const current = this.listenersByEvent.get(event);
    return current === undefined ? 0 : typeof current === 'function' ? 1 : current.length;
  }

  /** Removes the listeners of `event`, or of every event when none is given. */
  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.listenersByEvent.clear();
    else this.listenersByEvent.delete(event);
    return this;
  }

  /**
   * Receives what a listener threw. Subclasses with a logger override this to log it (with their call id);
   * the constructor option takes the same role for composition. The default rethrows on a microtask: the
   * emitter finishes what it was doing, and the bug still surfaces as an uncaught exception (process
   * 'uncaughtException', a failed test) instead of vanishing.
   */
  protected onListenerError(error: unknown, event: string): void {
    if (this.errorHandler) {
      this.errorHandler(error, event);
      return;
    }
    queueMicrotask(() => {
      throw error;
    });
  }

  /** Kept out of `emit` so the try/catch sits in one small function and no closure is made per call. */
  private callListener(fn: Listener, event: keyof Events, args: unknown[]): void {
    try {
      fn.apply(this, args);
    } catch (err) {
      this.onListenerError(err, String(event));
    }
  }
}

function matches(registered: Listener, listener: unknown): boolean {
  return registered === listener || (registered as Partial<OnceWrapper>).listener === listener;
}
