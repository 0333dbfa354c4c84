// Fault injection for the local runtime's tests, loaded into a function's execution environment
// with NODE_OPTIONS=--import (never part of a bundle, never deployed). TRIBUTARY_FAULTS is JSON:
// {"counterFile": path, "crashOn": [n...], "hangOn": [n...], "afterMs": ms}.
// Invocations are numbered across environments by creating `<counterFile>.<n>` exclusively.
// - crashOn: the environment is SIGKILLed mid-batch: when the handler starts its first PUT request
//   (the aggregator's conditional checkpoint write, after it sent the batch's results to Firehose),
//   or afterMs into the invocation if it makes none.
// - hangOn: the event loop blocks at once, so the handler never answers and the runtime's timeout
//   ends the environment.

import { subscribe } from 'node:diagnostics_channel';
import { closeSync, openSync } from 'node:fs';

const faults = JSON.parse(process.env.TRIBUTARY_FAULTS ?? '{}');
let crashArmed = false;

function nextInvocationNumber() {
  for (let n = 1; ; n += 1) {
    try {
      closeSync(openSync(`${faults.counterFile}.${n}`, 'wx'));
      return n;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
  }
}

function crash() {
  process.kill(process.pid, 'SIGKILL');
}

subscribe('http.client.request.start', ({ request }) => {
  if (crashArmed && request.method === 'PUT') crash();
});

process.on('message', (message) => {
  if (message?.type !== 'invoke' || !faults.counterFile) return;
  const n = nextInvocationNumber();
  if (faults.crashOn?.includes(n)) {
    crashArmed = true;
    setTimeout(crash, faults.afterMs ?? 2000);
  } else if (faults.hangOn?.includes(n)) {
    // Blocks without burning the CPU until the runtime kills the environment at its timeout.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
});
