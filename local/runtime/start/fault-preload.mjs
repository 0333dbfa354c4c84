// Fault injection for the local runtime's tests, loaded into a function's execution environment
// with NODE_OPTIONS=--import (never part of a bundle, never deployed). TRIBUTARY_FAULTS is JSON:
// {"counterFile": path, "crashOn": [n...], "hangOn": [n...], "afterMs": ms}. Invocations are
// numbered across environments by appending a byte to counterFile; invocation n in crashOn is
// SIGKILLed afterMs into it (a crash mid-batch), one in hangOn blocks its event loop until the
// runtime's timeout ends the environment.
import { appendFileSync, statSync } from 'node:fs';

const faults = JSON.parse(process.env.TRIBUTARY_FAULTS ?? '{}');

process.on('message', (message) => {
  if (message?.type !== 'invoke' || !faults.counterFile) return;
  appendFileSync(faults.counterFile, '.');
  const n = statSync(faults.counterFile).size;
  const afterMs = faults.afterMs ?? 50;
  if (faults.crashOn?.includes(n)) {
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), afterMs);
  } else if (faults.hangOn?.includes(n)) {
    setTimeout(() => {
      // Blocks without burning the CPU until the runtime kills the environment at its timeout.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    }, afterMs);
  }
});
