import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaBrokers } from '../../services/clients.js';
import { topicExists } from '../../services/kafka-admin.js';
import { KafkaEventSourceMappingRunner } from '../event-source-mapping/index.js';
import type { LocalLambdaRuntime } from '../lambda/index.js';
import { RunFailedError } from './run-failed-error.js';
import type { PipelineRuntimeOptions, StreamConsumers } from './runtime.js';

/** Whether the broker still has the topic; throws a RunFailedError naming what was lost otherwise. */
export async function assertTopicAlive(
  options: Pick<PipelineRuntimeOptions, 'kafka' | 'watch'>,
  topic: string,
): Promise<void> {
  await options.watch?.assertSameInstance();
  if (!(await topicExists(requireKafka(options), topic))) {
    throw new RunFailedError(
      `the local Kafka broker no longer has topic ${topic}: it was restarted with empty data, or the topic was deleted; the run cannot be trusted. Start a new run.`,
    );
  }
}

function requireKafka(options: Pick<PipelineRuntimeOptions, 'kafka'>) {
  if (!options.kafka) throw new Error('an MSK run needs a client of the local Kafka broker');
  return options.kafka;
}

/** How often the broker is asked for the group's lag while waiting for the catch-up. */
const LAG_CHECK_INTERVAL_MS = 250;

/** The pipeline's MSK event source mapping, consuming the local broker (see event-source-mapping/). */
export function startKafkaConsumers(
  options: PipelineRuntimeOptions & { readonly lambda: LocalLambdaRuntime },
): StreamConsumers {
  const { resources } = options;
  const esm = KafkaEventSourceMappingRunner.start({
    assembly: options.assembly,
    lambda: options.lambda,
    context: options.context,
    sqs: options.clients.sqs,
    brokers: kafkaBrokers(),
    filter: (m) => m.id === resources.mapping.config.id,
    log: (m) => options.log(`[esm] ${m}`),
  });
  const mapping = () => esm.progress()[0];
  let lastLagCheck = 0;
  return {
    lagText: () => `offset lag ${mapping()?.totals.offsetLag ?? 0}`,
    totals: () => mapping()?.totals,
    // The broker's committed offsets against the partitions' ends: 0 lag means every record
    // written before the question was processed or discarded (so also those before `since`).
    async caughtUp() {
      const wait = lastLagCheck + LAG_CHECK_INTERVAL_MS - Date.now();
      if (wait > 0) await sleep(wait);
      lastLagCheck = Date.now();
      if (esm.error !== undefined) throw esm.error;
      return (await esm.offsetLag()).get(resources.mapping.config.id) === 0;
    },
    assertStreamAlive: () => assertTopicAlive(options, resources.streamName),
    stop: () => esm.stop(),
  };
}
