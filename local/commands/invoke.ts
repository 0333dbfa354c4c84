import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, UsageError } from '../cli/command.js';
import { parseOptions, parseTransport } from '../cli/parse-options.js';
import {
  classifyEvent,
  describeKind,
  EventFileError,
  type FunctionEntry,
  findFunction,
  fitsSource,
  invokeFunction,
  listFunctions,
  readEventFile,
  UnknownFunctionError,
} from '../runtime/invoke/index.js';
import { assemblyDirOf, ensureSynthesized } from '../runtime/synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext } from '../runtime/template/index.js';
import { kinesisClient, LOCAL_REGION, readServices, s3Client, sqsClient } from '../services/clients.js';
import { stateDir } from '../tools/state-dir.js';

const usage = `Usage: tributary invoke <function> --event <file.json>
       tributary invoke --list [--json]

Runs one function of the synthesized app once, locally: its bundled handler in a fresh execution
environment, with the template's environment, timeout and memory, and its AWS SDK calls sent to
LocalStack. The buckets, queues and streams its environment names are created in LocalStack when
missing; the Firehose delivery streams it sends to run in the local Firehose emulation, so what it
sends is in S3 when the command returns. The CDK app is synthesized first when cdk.out is missing
or the contents of infra/, functions/, cdk.json, package-lock.json or tsconfig.json changed since.

<function> is a construct path (Tributary-dev/Aggregator-taxi-rides/Handler/Function, with or
without the stack name or the trailing /Function), a logical id, or the local function name.

Output: the function's response as JSON on stdout; its logs (START/END/REPORT included) and the
runtime's own lines on stderr.
Exit: 0 the invocation returned, 1 the function threw (its error type and message on stderr, the
error payload on stdout) or LocalStack is not there, 2 bad arguments (unknown function: the known
ones are listed; missing, unreadable or non-JSON event file).

Options:
  --event <file>     the event, any JSON (AWS's sample events for the function's source work)
  --list             the functions: construct path, logical id, handler, event sources
  --json             with --list: print the list as JSON
  --skip-synth       use cdk.out as it is
  --assembly <dir>   read another cloud assembly folder (implies --skip-synth)
  --transport msk    the MSK app (-c transport=msk, in .local/cdk.out-msk): its functions that talk
                     to Kafka are pointed at the local broker

Examples:
  tributary invoke --list
  tributary invoke Aggregator-taxi-rides/Handler --event test/fixtures/aws/powertools-python-kinesis-stream-event.json
  tributary invoke Producer/Handler --event request.json
  tributary invoke Aggregator-taxi-rides/Handler --event test/fixtures/aws/aws-lambda-go-kafka-event.json --transport msk`;

const say = (line: string) => process.stderr.write(`tributary invoke: ${line}\n`);

function printList(entries: readonly FunctionEntry[], json: boolean): void {
  if (json) {
    const rows = entries.map((e) => ({
      path: e.path,
      logicalId: e.logicalId,
      name: e.name,
      handler: e.handler,
      sources: e.sources.map((s) => ({ kind: s.kind, description: s.description })),
    }));
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const lines = entries.flatMap((e) => [
    e.path,
    `  logical id  ${e.logicalId}`,
    `  handler     ${e.handler}`,
    `  sources     ${e.sources.map((s) => s.description).join('; ') || '(none: invoked directly)'}`,
  ]);
  console.log(lines.join('\n'));
}

/** The LocalStack endpoint from services.json, or undefined when LocalStack is not running. */
function localstackEndpoint(): string | undefined {
  try {
    return readServices().localstack?.endpoint;
  } catch {
    return undefined;
  }
}

/** `tributary invoke`: runs one function of the template once, locally, with an event file. */
export const invokeCommand: Command = {
  name: 'invoke',
  summary: 'Run one function of the synthesized app once, locally, with an event file',
  usage,
  async run(argv) {
    const { values, positionals } = parseOptions(
      'invoke',
      argv,
      {
        event: { type: 'string' },
        list: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'skip-synth': { type: 'boolean', default: false },
        assembly: { type: 'string' },
        transport: { type: 'string' },
      },
      true,
    );
    if (values.json === true && values.list !== true) throw new UsageError('invoke: --json goes with --list');
    if (values.list === true && positionals.length > 0) {
      throw new UsageError(`invoke: --list takes no function name (given ${positionals.join(' ')})`);
    }
    if (values.list !== true) {
      if (positionals.length === 0) throw new UsageError('invoke: name a function (`--list` shows them)');
      if (positionals.length > 1) {
        throw new UsageError(
          `invoke: one function at a time (given ${positionals.length}: ${positionals.join(' ')})`,
        );
      }
      if (values.event === undefined) throw new UsageError('invoke: --event <file.json> is required');
    }
    let event: unknown;
    try {
      event = values.event === undefined ? undefined : readEventFile(values.event);
    } catch (error) {
      if (error instanceof EventFileError) throw new UsageError(`invoke: ${error.message}`);
      throw error;
    }

    const transport = parseTransport(values.transport) ?? 'kinesis';
    if (values.assembly !== undefined && values.transport !== undefined) {
      throw new UsageError(
        'invoke: give --assembly (a folder) or --transport (the app to synthesize), not both',
      );
    }
    if (values.assembly !== undefined && !existsSync(join(values.assembly, 'manifest.json'))) {
      throw new UsageError(
        `invoke: --assembly ${values.assembly}: no cloud assembly there (expected a folder with manifest.json, such as cdk.out after \`npm run synth\`)`,
      );
    }
    const assemblyDir = values.assembly ?? assemblyDirOf({ transport });
    if (values.assembly === undefined && values['skip-synth'] !== true) {
      await ensureSynthesized({ log: say, transport });
    }
    const endpoint = localstackEndpoint();
    const context = defaultLocalContext(endpoint ? { endpoint, region: LOCAL_REGION } : {});
    const assembly = CloudAssembly.load(assemblyDir, context);
    const entries = listFunctions(assembly);
    if (values.list === true) {
      printList(entries, values.json === true);
      return 0;
    }

    let entry: FunctionEntry;
    try {
      entry = findFunction(entries, positionals[0] ?? '');
    } catch (error) {
      if (error instanceof UnknownFunctionError) throw new UsageError(`invoke: ${error.message}`);
      throw error;
    }
    const kind = classifyEvent(event);
    if (entry.sources.length > 0 && !entry.sources.some((s) => fitsSource(kind, s.kind))) {
      say(
        `note: the event looks like ${describeKind(kind)}, but ${entry.path} is invoked by ${entry.sources.map((s) => s.description).join('; ')}; invoking anyway`,
      );
    }
    if (endpoint === undefined) {
      throw new Error('LocalStack is not running: start it with `npx tributary services up localstack`');
    }

    const outcome = await invokeFunction({
      assembly,
      entry,
      event,
      endpoint,
      region: LOCAL_REGION,
      clients: { s3: s3Client(), sqs: sqsClient(), kinesis: kinesisClient() },
      runDir: join(stateDir(), 'invoke', `${entry.logicalId}-${Date.now()}-${process.pid}`),
      log: say,
    });
    for (const [name, c] of Object.entries(outcome.firehose)) {
      say(
        `Firehose ${name}: ${c.recordsIn} records in, ${c.objectsWritten} objects and ${c.errorObjects} error objects written to S3`,
      );
    }
    for (const [name, q] of Object.entries(outcome.queues)) {
      const change = q.after - q.before;
      const count = Math.abs(change);
      const what = `${count} message${count === 1 ? '' : 's'} ${change < 0 ? 'removed' : 'added'}`;
      say(`SQS ${name}: ${what} (${q.after} in the queue)`);
    }
    const { result } = outcome;
    say(
      `${entry.path} ${result.ok ? 'returned' : 'threw'} in ${result.durationMs} ms (request ${result.requestId})`,
    );
    if (result.ok) {
      console.log(JSON.stringify(result.payload, null, 2));
      return 0;
    }
    console.log(JSON.stringify(result.error, null, 2));
    say(`${result.error.errorType}: ${result.error.errorMessage}`);
    return 1;
  },
};
