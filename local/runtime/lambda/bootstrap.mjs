// The runtime of one local Lambda execution environment, run by `node bootstrap.mjs <entry> <export>`
// in a child process (see function-worker.ts). Plain JavaScript on purpose: it runs the bundled
// handler the way Lambda's Node.js runtime does, with nothing but Node.js in between.
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const [entryFile, exportName] = process.argv.slice(2);
let currentRequestId;
const DONE_MARKER = '\u0000tributary-invocation-done ';

// Lambda's Node.js runtime prefixes console output with time, request id and level (text format),
// or writes one JSON object per call when the function's LoggingConfig asks for JSON.
const json = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON';
for (const [method, level] of [
  ['log', 'INFO'],
  ['info', 'INFO'],
  ['warn', 'WARN'],
  ['error', 'ERROR'],
  ['debug', 'DEBUG'],
  ['trace', 'TRACE'],
]) {
  const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
  console[method] = (...args) => {
    const timestamp = new Date().toISOString();
    const message = format(...args);
    stream.write(
      json
        ? `${JSON.stringify({ timestamp, level, requestId: currentRequestId, message })}\n`
        : `${timestamp}\t${currentRequestId ?? 'undefined'}\t${level}\t${message}\n`,
    );
  };
}

function describe(error) {
  if (error instanceof Error) {
    return { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// Written after the handler's last output: the parent reports the invocation once it has read
// the function's log lines up to here, so they come before END and REPORT, as in Lambda.
function markDone(id) {
  process.stdout.write(`${DONE_MARKER}${id}\n`);
  process.stderr.write(`${DONE_MARKER}${id}\n`);
}

function send(message) {
  return new Promise((resolve) => process.send(message, undefined, undefined, () => resolve()));
}

// Init phase, as in Lambda: the module is imported once, before the first invocation.
const handlerPromise = import(pathToFileURL(entryFile).href).then((module) => {
  const fn = module[exportName] ?? module.default?.[exportName];
  if (typeof fn !== 'function') {
    const error = new Error(`${exportName} is undefined or not exported`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return fn;
});
handlerPromise.then(
  () => send({ type: 'ready' }),
  async (error) => {
    const described = describe(error);
    if (described.errorType === 'Error' || described.errorType === 'SyntaxError') {
      described.errorType = 'Runtime.ImportModuleError';
    }
    await send({ type: 'init-error', error: described });
    process.exit(1);
  },
);

function callHandler(fn, event, context) {
  if (fn.length < 3) return Promise.resolve().then(() => fn(event, context));
  // Callback-style handler (still supported by nodejs22.x).
  return new Promise((resolve, reject) => {
    const callback = (error, value) => (error ? reject(error) : resolve(value));
    const returned = fn(event, context, callback);
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
  });
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const { id, event, context: base, deadlineMs } = message;
  currentRequestId = base.awsRequestId;
  const context = {
    ...base,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
  };
  try {
    const fn = await handlerPromise;
    const result = await callHandler(fn, event, context);
    const payload = JSON.stringify(result) ?? 'null';
    markDone(id);
    await send({ type: 'result', id, payload });
  } catch (error) {
    markDone(id);
    await send({ type: 'error', id, error: describe(error) });
  } finally {
    currentRequestId = undefined;
  }
});

// The runtime that started this environment is gone (stopped or killed): end with it, whatever
// timers or sockets the handler keeps open.
process.on('disconnect', () => process.exit(0));

// Ctrl-C in a terminal signals the whole foreground process group, this environment included. A
// Lambda environment never sees the developer's Ctrl-C: the runtime decides when it ends (a
// `tributary start --keep-running` still invokes functions to catch up after its Ctrl-C).
process.on('SIGINT', () => {});

// Lambda's runtime ends the environment on these; the parent reports them and starts a new one.
process.on('unhandledRejection', async (reason) => {
  const error = describe(reason);
  await send({ type: 'crash', error: { ...error, errorType: 'Runtime.UnhandledPromiseRejection' } });
  process.exit(128);
});
process.on('uncaughtException', async (error) => {
  await send({ type: 'crash', error: describe(error) });
  process.exit(129);
});
