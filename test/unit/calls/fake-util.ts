/** Small helpers shared by the call-control fakes: deferred promises, draining continuations, a loose emitter. */
import { EventEmitter } from 'node:events';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise continuation run (the handlers chain several awaits per step). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/** A tiny emitter with a loose `on` so the fakes can `implements` the ports' overloaded `on` signatures. */
export class Emitter {
  private readonly ee = new EventEmitter();
  on(event: string, listener: (...args: any[]) => void): this {
    this.ee.on(event, listener);
    return this;
  }
  off(event: string, listener: (...args: any[]) => void): this {
    this.ee.off(event, listener);
    return this;
  }
  emit(event: string, ...args: unknown[]): boolean {
    return this.ee.emit(event, ...args);
  }
  listenerCount(event: string): number {
    return this.ee.listenerCount(event);
  }
}
