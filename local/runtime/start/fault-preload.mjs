// Fault injection for the local runtime's tests, loaded into a function's execution environment
// with NODE_OPTIONS=--import (never part of a bundle, never deployed). TRIBUTARY_FAULTS is JSON:
// {"counterFile": path, "crashOn": [n...], "hangOn": [n...], "afterMs": ms}.
// Invocations are numbered across environments by creating `<counterFile>.<n>` exclusively.
// - crashOn: the environment is SIGKILLed mid-batch: when its first PUT request (the aggregator's
//   checkpoint write) has been handed to the socket, or afterMs into the invocation if none.
// - crashAfterResults: the first invocation (of any environment) whose results the Firehose
//   endpoint accepted is SIGKILLed on that response: its windows are in the warehouse, its
//   checkpoint is not, so the retry emits them again (what warehouse dedup by id is for).
// - hangOn: the event loop blocks at once, so the handler never answers and the runtime's timeout
//   ends the environment.

import { subscribe } from 'node:diagnostics_channel';
import { closeSync, openSync } from 'node:fs';

const faults = JSON.parse(process.env.TRIBUTARY_FAULTS ?? '{}');
let crashArmed = false;
const firehosePort = (() => {
  try {
    return new URL(process.env.AWS_ENDPOINT_URL_FIREHOSE ?? '').port;
  } catch {
    return '';
  }
})();

/** True once, for the first environment to claim the crash (exclusive file creation). */
function claimCrash() {
  try {
    closeSync(openSync(`${faults.counterFile}.crashed`, 'wx'));
    return true;
  } catch {
    return false;
  }
}

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

// Published once the request was handed to the socket: the PUT may already reach S3.
subscribe('http.client.request.start', ({ request }) => {
  if (crashArmed && request.method === 'PUT') crash();
});

// Firehose answered (the results are accepted); the checkpoint write has not started yet.
subscribe('http.client.response.finish', ({ request }) => {
  const host = String(request.getHeader('host') ?? '');
  if (!faults.crashAfterResults || !firehosePort || !host.endsWith(`:${firehosePort}`)) return;
  if (claimCrash()) crash();
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
