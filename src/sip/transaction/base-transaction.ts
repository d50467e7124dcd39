import type { Clock } from '../../core/clock.js';
import { TypedEmitter, type EventMap, type TypedEmitterOptions } from '../../core/typed-emitter.js';
import type { SipMessage, SipRequest, SipResponse } from '../message/types.js';
import { TimerSet, type SipTimerConfig, type TransactionChannel } from './common.js';

const EMPTY_BODY = Buffer.alloc(0);

/** Events of the server machines (§17.2). 'timeout' is Timer H, INVITE only. */
export interface ServerTransactionEvents {
  /** Timer H: no ACK for a non-2xx final response (INVITE server only). */
  timeout: () => void;
  /** The transport could not send; the machine has handled it (usually by terminating). */
  transportError: (error: unknown) => void;
  /** Reached "Terminated"; emitted once. */
  terminated: () => void;
}

/** Events of the client machines (§17.1): every response the TU must see, and Timer B/F as 'timeout'. */
export interface ClientTransactionEvents extends ServerTransactionEvents {
  response: (response: SipResponse) => void;
}

/** The input every machine's event union shares: the transport failed to send (§17.1.4, §17.2.4). */
export interface TransportErrorInput {
  type: 'transportError';
  error: unknown;
}

/**
 * What the four RFC 3261 §17 machines share (as sipgo's `baseTx`): identity, channel, named timers, transmit
 * with transport failures fed back into the machine, terminate and dispose. The per-state functions (state ×
 * input, each quoting its §17 paragraph) stay in each subclass's `handle`.
 *
 * `State` is the machine's state union (it includes 'terminated'), `Timer` its timer letters.
 */
export abstract class BaseTransaction<
  State extends string,
  Timer extends string,
  Events extends ServerTransactionEvents & EventMap<Events>,
> extends TypedEmitter<Events> {
  abstract state: State | 'terminated';
  protected readonly timers: TimerSet<Timer>;
  private current: SipRequest;

  constructor(
    readonly id: string,
    request: SipRequest,
    protected readonly channel: TransactionChannel,
    clock: Clock,
    protected readonly config: SipTimerConfig,
    /** Where a throwing TU listener is reported (the layer logs it); default: rethrown on a microtask. */
    options: TypedEmitterOptions = {},
  ) {
    super(options);
    this.current = request;
    this.timers = new TimerSet(clock);
  }

  /** The request that opened the transaction; after the final response, its head only (see {@link lighten}). */
  get request(): SipRequest {
    return this.current;
  }

  /** Tears down without further output (UA shutdown). */
  dispose(): void {
    this.terminate();
  }

  /** The machine's single entry point: every input, timers and transport failures included. */
  protected abstract handle(input: TransportErrorInput): void;

  /** Passes `msg` to the transport; a failed send comes back to the machine as a 'transportError' input. */
  protected transmit(msg: SipMessage): void {
    this.channel.send(msg).catch((error: unknown) => this.handle({ type: 'transportError', error }));
  }

  /** Informs the TU of a transport failure and ends the transaction (§17.1.4, §17.2.4). */
  protected failTransport(error: unknown): void {
    this.emitShared('transportError', error);
    this.terminate();
  }

  /**
   * Past the final response no machine sends or reads the request's body again (an ACK for a non-2xx is built
   * when the response arrives), yet the transaction lives on for up to 32 s (Timers J, L, M, D): the body goes,
   * and with it the 8 KB Buffer pool slab a small body pins. Headers stay for responses built from them.
   */
  protected lighten(): void {
    if (this.current.body.length > 0) this.current = { ...this.current, body: EMPTY_BODY };
  }

  /** Enters "Terminated" once: every timer stopped, then 'terminated' (the layer forgets the transaction). */
  protected terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.timers.stopAll();
    this.emitShared('terminated');
  }

  /**
   * Emits one of the events every machine has. `Events` is generic here, so TypeScript cannot resolve its
   * parameter lists; the shared part is typed once through this view instead.
   */
  protected emitShared<K extends keyof ServerTransactionEvents>(event: K, ...args: Parameters<ServerTransactionEvents[K]>): void {
    (this as unknown as TypedEmitter<ServerTransactionEvents>).emit(event, ...args);
  }
}
