/** Every fuzz target, in the order the runs report them. */
import { digestTarget } from './auth-targets.js';
import { botDialectTarget } from './bot-targets.js';
import { dtmfTarget, rtcpTarget, rtpTarget, sdpTarget, srtpTarget } from './media-targets.js';
import { rtpReceiveTarget } from './receive-targets.js';
import { runTarget, type FuzzBudget, type FuzzResult, type FuzzTarget } from './runner.js';
import { sipFramerTarget, sipParseTarget } from './sip-targets.js';

/** A target with its input type erased, ready to run. */
export interface RunnableTarget {
  name: string;
  run(budget: FuzzBudget): FuzzResult;
}

function runnable<T>(t: FuzzTarget<T>): RunnableTarget {
  return { name: t.name, run: (budget) => runTarget(t, budget) };
}

export const TARGETS: readonly RunnableTarget[] = [
  runnable(sipParseTarget),
  runnable(sipFramerTarget),
  runnable(digestTarget),
  runnable(sdpTarget),
  runnable(rtpTarget),
  runnable(rtpReceiveTarget),
  runnable(rtcpTarget),
  runnable(srtpTarget),
  runnable(dtmfTarget),
  runnable(botDialectTarget),
];
