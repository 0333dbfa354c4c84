import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Kafka } from 'kafkajs';
import { generatorNames, NoGeneratorError } from '../../functions/pipelines/generators.js';
import { getPipeline, pipelineNames } from '../../functions/pipelines/index.js';
import { type Command, UsageError } from '../cli/command.js';
import { existingFile, parseCount, parseOptions, parseStage, parseTransport } from '../cli/parse-options.js';
import { fileInput, generatedInput, INPUT_FORMATS, rejectionLines } from '../runtime/start/input.js';
import { kafkaTarget } from '../runtime/start/kafka-target.js';
import { pipelineResources } from '../runtime/start/pipeline-resources.js';
import { kinesisTarget, type ProduceTarget, produceInput } from '../runtime/start/producer.js';
import { notInApp } from '../runtime/synth/app-pipelines.js';
import { ensureSynthesized } from '../runtime/synth/ensure-synthesized.js';
import { CloudAssembly, defaultLocalContext } from '../runtime/template/index.js';
import { kafka, kinesisClient, LOCAL_REGION, localAwsConfig } from '../services/clients.js';
import { topicExists } from '../services/kafka-admin.js';

const usage = `Usage: tributary produce --pipeline <name> [--events <n> | --input <file>] [options]

Validates events against the pipeline and writes the valid ones to its Kinesis stream as envelopes
({"v":1,"pipeline","key","ts","event"}, partition key = pipeline key) with PutRecords batching
(500 records / 5 MiB per call, throttled entries resent), or with --transport msk to its topic on
the local Kafka broker (keyed by the pipeline key, idempotent). Reports accepted and rejected events
with the reasons. Exit 0 when every event was accepted, 1 when some were rejected.

Options:
  --pipeline <name>   ${pipelineNames.join(' | ')} (required)
  --events <n>        generate n events with the pipeline's seeded generator (default 100)
  --input <file>      JSON lines, CSV or TSV with a header row, or raw lines (an access log) instead
  --rate <n>          events/s (default 0: as fast as the stream takes them)
  --seed <n>          generator seed (default 1)
  --stream <name>     write to this stream with the normal AWS environment (a real account) instead
                      of the local stream of the synthesized app in LocalStack
  --stage <name>      the local stage's app (.local/cdk.out-<name>), as \`tributary start --stage\`
  --transport <t>     kinesis (default) | msk: the app synthesized with -c transport=msk, its topic
                      on the local broker, as \`tributary start --transport msk\`

Examples:
  npx tributary produce --pipeline taxi-rides --events 500
  npx tributary produce --pipeline web-access-logs --input ../shared/data/nasa-access-aug95-100.log
  npx tributary produce --pipeline taxi-rides --events 500 --transport msk
  AWS_PROFILE=dev npx tributary produce --pipeline taxi-rides --stream tributary-dev-taxi-rides`;

/**
 * The SDK's "Region is missing" (or "not accepted") and "Could not load credentials from any
 * providers" do not say where it looked: with --stream, say what to set.
 */
function withAwsSetupHint(error: unknown): unknown {
  if (
    !(error instanceof Error) ||
    !/Region is missing|Region not accepted|Could not load credentials/.test(error.message)
  )
    return error;
  return new Error(
    `${error.message}: --stream writes to AWS with the default credential chain; set AWS_REGION and credentials, e.g. AWS_PROFILE=<profile> (a profile with a region)`,
  );
}

/**
 * Fails, saying what to run, when the MSK app's topic is not on the local broker: the producer
 * would otherwise report every event rejected by kafkajs' "does not host this topic-partition".
 */
async function requireLocalTopic(broker: Kafka, topic: string, stage: string | undefined): Promise<void> {
  const exists = await topicExists(broker, topic).catch((error: unknown) => {
    throw withLocalSetupHint(error, topic, stage, 'msk');
  });
  if (exists) return;
  throw new Error(missingTopic(topic, startCommandFor(stage, 'msk')));
}

/** What to say of a topic the local broker does not have, with the `start` that creates it. */
function missingTopic(topic: string, start: string): string {
  return `the local topic ${topic} does not exist yet; \`${start}\` creates the app's topics (then produce writes to them)`;
}

/** A Kinesis target on a client of its own, destroyed with it. */
function ownKinesisTarget(
  client: KinesisClient,
  streamName: string,
): ProduceTarget & { close(): Promise<void> } {
  return { ...kinesisTarget(client, streamName), close: async () => client.destroy() };
}

/** The `tributary start` that creates a stage's local stream or topic. */
function startCommandFor(stage: string | undefined, transport: 'kinesis' | 'msk'): string {
  return `npx tributary start --pipeline <name>${stage ? ` --stage ${stage}` : ''}${transport === 'msk' ? ' --transport msk' : ''}`;
}

/** The local broker's errors, with what to run first. */
function withBrokerSetupHint(error: Error, topic: string, start: string): Error {
  const text = `${error.name} ${error.message} ${String((error as { type?: unknown }).type)}`;
  if (/UNKNOWN_TOPIC|does not host this topic-partition/i.test(text)) {
    return new Error(`${error.message}: ${missingTopic(topic, start)}`);
  }
  if (/ECONNREFUSED|Connection error|KafkaJSNumberOfRetriesExceeded|KafkaJSConnectionError/.test(text)) {
    return new Error(
      `${error.message}: the local Kafka broker is not running; start it with \`npx tributary services up\``,
    );
  }
  return error;
}

/** `error` with what to run first when the local stream or topic, LocalStack or the broker is not there. */
export function withLocalSetupHint(
  error: unknown,
  streamName: string,
  stage: string | undefined,
  transport: 'kinesis' | 'msk' = 'kinesis',
): unknown {
  if (!(error instanceof Error)) return error;
  const start = startCommandFor(stage, transport);
  if (transport === 'msk') return withBrokerSetupHint(error, streamName, start);
  if (error.name === 'ResourceNotFoundException') {
    return new Error(
      `${error.message}: the local stream ${streamName} does not exist yet; \`${start}\` creates the app's resources (then produce writes to them)`,
    );
  }
  if (/ECONNREFUSED/.test(`${error.message} ${String((error as { code?: unknown }).code)}`)) {
    return new Error(
      `${error.message}: LocalStack is not running; start it with \`npx tributary services up\``,
    );
  }
  return error;
}

/** `tributary produce`: events into a pipeline's stream, locally or in AWS. */
export const produceCommand: Command = {
  name: 'produce',
  summary: "write generated or replayed events to a pipeline's stream (local, or AWS with --stream)",
  usage,
  async run(argv) {
    const { values } = parseOptions('produce', argv, {
      pipeline: { type: 'string' },
      events: { type: 'string' },
      input: { type: 'string' },
      rate: { type: 'string' },
      seed: { type: 'string' },
      stream: { type: 'string' },
      stage: { type: 'string' },
      transport: { type: 'string' },
    });
    if (!values.pipeline) throw new UsageError('--pipeline is required');
    if (!pipelineNames.includes(values.pipeline)) {
      throw new UsageError(
        `--pipeline must be one of ${pipelineNames.join(', ')} (given ${JSON.stringify(values.pipeline)})`,
      );
    }
    if (values.input && values.events) throw new UsageError('give --events or --input, not both');
    if (!values.input && !generatorNames.includes(values.pipeline))
      throw new UsageError(new NoGeneratorError(values.pipeline, generatorNames).message);
    // With --stream the stream is in AWS, whatever the local app holds.
    const missing = values.stream === undefined ? notInApp(values.pipeline) : undefined;
    if (missing) throw new UsageError(missing);
    if (values.stream && values.stage) {
      throw new UsageError('give --stream (a stream in AWS) or --stage (a local app), not both');
    }
    const transport = parseTransport(values.transport) ?? 'kinesis';
    const stage = parseStage(values.stage);
    if (transport === 'msk' && values.stream) {
      throw new UsageError(
        '--stream writes to a Kinesis stream in AWS; an MSK Serverless cluster is reachable only from inside its VPC: send events through the deployed producer Lambda (or use --transport msk without --stream for the local broker)',
      );
    }
    const name = values.pipeline;
    const rate = parseCount('rate', values.rate, 0);
    const input = values.input
      ? await fileInput(existingFile('input', values.input, INPUT_FORMATS))
      : generatedInput(name, parseCount('events', values.events, 100, 1), parseCount('seed', values.seed, 1));
    let target: ProduceTarget & { close(): Promise<void> };
    let streamName: string;
    if (values.stream) {
      streamName = values.stream;
      target = ownKinesisTarget(new KinesisClient({}), streamName);
    } else {
      const synth = await ensureSynthesized({ stage, transport, log: (l) => console.error(l) });
      const context = defaultLocalContext({ endpoint: localAwsConfig().endpoint, region: LOCAL_REGION });
      streamName = pipelineResources(CloudAssembly.load(synth.dir, context), name).streamName;
      if (transport === 'msk') {
        const broker = kafka();
        await requireLocalTopic(broker, streamName, stage);
        target = kafkaTarget(broker, streamName);
      } else {
        target = ownKinesisTarget(kinesisClient(), streamName);
      }
    }
    try {
      const started = Date.now();
      const outcome = await produceInput({
        pipeline: getPipeline(name),
        input,
        target,
        rate,
      }).catch((error: unknown) => {
        throw values.stream
          ? withAwsSetupHint(error)
          : withLocalSetupHint(error, streamName, stage, transport);
      });
      const seconds = (Date.now() - started) / 1000;
      const rejected = [...outcome.invalid, ...outcome.refused].sort((a, b) => a.index - b.index);
      console.log(
        `${outcome.accepted} accepted, ${rejected.length} rejected, to ${streamName} in ${seconds.toFixed(1)} s (${(outcome.accepted / Math.max(seconds, 0.001)).toFixed(0)} events/s)`,
      );
      for (const line of rejectionLines(rejected, input, values.input !== undefined)) console.log(line);
      return rejected.length === 0 ? 0 : 1;
    } finally {
      await target.close();
    }
  },
};
