import { setMaxListeners } from 'node:events';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { LocalFunction, LocalLambdaRuntime } from '../lambda/index.js';
import type { CloudAssembly, LocalAwsContext } from '../template/index.js';
import { isKafkaMapping, type KafkaMappingConfig, readKafkaMapping } from './kafka-config.js';
import { KafkaMappingConsumer, type KafkaPollingOptions } from './kafka-consumer.js';
import type { kafkaOnFailureRecord } from './kafka-on-failure.js';
import { type KafkaMappingProgress, summarizeKafka } from './kafka-progress.js';
import { queueUrlFromArn, sqsOnFailureSink } from './on-failure.js';

/** Options of {@link KafkaEventSourceMappingRunner.start}. */
export interface KafkaEventSourceMappingRunnerOptions {
  readonly assembly: CloudAssembly;
  readonly lambda: LocalLambdaRuntime;
  /** Region, account and LocalStack endpoint (the on-failure queues' URLs). */
  readonly context: LocalAwsContext;
  readonly sqs: SQSClient;
  /** The local broker (`kafkaBrokers()` of local/services/clients.ts); also the events' bootstrapServers. */
  readonly brokers: readonly string[];
  /**
   * Concurrent batches per mapping: partitions are dealt to this many pollers (partition % pollers),
   * each invoking one batch at a time, which may then hold records of several partitions (as
   * Lambda's pollers do). @default one poller per partition
   */
  readonly pollers?: number;
  readonly polling?: Partial<KafkaPollingOptions>;
  /** Only the mappings this accepts run. @default all enabled MSK mappings */
  readonly filter?: (mapping: KafkaMappingConfig) => boolean;
  /** Runner messages (failed batches, consumer errors). @default stderr */
  readonly log?: (message: string) => void;
}

const DEFAULT_POLLING: KafkaPollingOptions = {
  maxWaitTimeInMs: 250,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  maxQueuedRecords: 20_000,
  backoffBaseMs: 100,
  maxBackoffMs: 5_000,
  reconnectDelayMs: 2_000,
};

/** Every MSK event source mapping of the template, read and checked (MappingConfigError otherwise). */
export function readKafkaMappings(assembly: CloudAssembly): KafkaMappingConfig[] {
  return assembly
    .resources('AWS::Lambda::EventSourceMapping')
    .filter(isKafkaMapping)
    .map((r) => readKafkaMapping(assembly, r));
}

interface Running {
  readonly config: KafkaMappingConfig;
  readonly fn: LocalFunction;
  readonly consumer: KafkaMappingConsumer;
  readonly done: Promise<void>;
}

/**
 * Runs every MSK `AWS::Lambda::EventSourceMapping` of the template against the local Kafka broker
 * the way Lambda's Kafka poller does (see KafkaMappingConsumer, KafkaLane and deliverKafkaBatch),
 * invoking the functions through the local Lambda runtime.
 */
export class KafkaEventSourceMappingRunner {
  private readonly controller = new AbortController();
  private readonly running: Running[] = [];
  private readonly kafka: Kafka;
  private admin: Promise<Admin> | undefined;
  private failure: unknown;

  private constructor(private readonly options: KafkaEventSourceMappingRunnerOptions) {
    // Every lane, sleep and session listens to this one signal: many listeners are the normal case.
    setMaxListeners(0, this.controller.signal);
    this.kafka = new Kafka({
      clientId: 'tributary-esm',
      brokers: [...options.brokers],
      logLevel: logLevel.ERROR,
      // kafkajs' own errors go to the runner's log, except the noise of a consumer being stopped.
      logCreator: () => (entry) => {
        if (!this.controller.signal.aborted) this.log(`kafkajs ${entry.namespace}: ${entry.log.message}`);
      },
    });
  }

  /** Reads the mappings, then starts a consumer group member for every enabled one. */
  static start(options: KafkaEventSourceMappingRunnerOptions): KafkaEventSourceMappingRunner {
    const { pollers } = options;
    if (pollers !== undefined && !(Number.isInteger(pollers) && pollers >= 1)) {
      throw new RangeError(`pollers must be a positive integer (given ${pollers})`);
    }
    const runner = new KafkaEventSourceMappingRunner(options);
    const source = { eventSourceArn: '', bootstrapServers: options.brokers.join(',') };
    const polling = { ...DEFAULT_POLLING, ...options.polling };
    for (const config of readKafkaMappings(options.assembly)) {
      if (!config.enabled || !(options.filter?.(config) ?? true)) continue;
      const fn = options.lambda.function(config.functionResource);
      const destination = config.onFailureDestination;
      const sink = destination
        ? sqsOnFailureSink<ReturnType<typeof kafkaOnFailureRecord>>(
            options.sqs,
            queueUrlFromArn(destination, options.context.endpoint),
          )
        : undefined;
      const consumer = new KafkaMappingConsumer({
        mapping: config,
        fn,
        kafka: runner.kafka,
        source: { ...source, eventSourceArn: config.clusterArn },
        polling,
        pollers: options.pollers,
        signal: runner.controller.signal,
        sendOnFailure: sink ? (record) => sink.send(record) : undefined,
        log: (m) => runner.log(m),
      });
      const done = consumer.run().catch((error: unknown) => {
        runner.failure ??= error;
        runner.log(
          `${config.id}: stopped by an error: ${error instanceof Error ? error.stack : String(error)}`,
        );
      });
      runner.running.push({ config, fn, consumer, done });
    }
    return runner;
  }

  /** The mappings this runner runs. */
  get mappings(): KafkaMappingConfig[] {
    return this.running.map((r) => r.config);
  }

  /** Live figures per mapping and partition (records read, processed, discarded, invocations, lag). */
  progress(): KafkaMappingProgress[] {
    return this.running.map(({ config, fn, consumer }) =>
      summarizeKafka(config, fn.spec.name, consumer.partitions, consumer.counts),
    );
  }

  /** An unexpected error that stopped a mapping or one of its pollers, if any. */
  get error(): unknown {
    return this.failure ?? this.running.map((r) => r.consumer.error).find((e) => e !== undefined);
  }

  /**
   * Lambda's OffsetLag per mapping id, asked of the broker: the records of the topic past the
   * group's committed offsets (from the start the StartingPosition gives where none is committed).
   * 0 means every record written before the call was processed or discarded.
   */
  async offsetLag(): Promise<Map<string, number>> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    const admin = await this.admin;
    const lags = new Map<string, number>();
    for (const { config } of this.running) {
      const ends = await admin.fetchTopicOffsets(config.topic);
      const [group] = await admin.fetchOffsets({ groupId: config.groupId, topics: [config.topic] });
      const committed = new Map(group?.partitions.map((p) => [p.partition, BigInt(p.offset)]));
      let lag = 0n;
      for (const end of ends) {
        const c = committed.get(end.partition) ?? -1n;
        const start =
          c >= 0n ? c : config.startingPosition === 'TRIM_HORIZON' ? BigInt(end.low) : BigInt(end.high);
        lag += BigInt(end.high) - start;
      }
      lags.set(config.id, Number(lag));
    }
    return lags;
  }

  /**
   * Stops fetching, lets each batch in flight end (committed when the function succeeded, else
   * abandoned to be read again), then leaves the groups.
   */
  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.running.map((r) => r.done));
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  private log(message: string): void {
    (this.options.log ?? ((m: string) => process.stderr.write(`[esm] ${m}\n`)))(message);
  }
}
