import { Duration } from 'aws-cdk-lib';
import type { IDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { Aggregator } from './aggregator.js';
import type { PipelineStream, StreamClientConfig } from './stream-transport.js';
import { TributaryFunction } from './tributary-function.js';

/** Props of {@link Redrive}. */
export interface RedriveProps {
  readonly pipeline: string;
  /** The pipeline's stream or topic: the redrive reads the failed batches back from it. */
  readonly stream: PipelineStream;
  /**
   * How a function reaches the streams (the transport's `clientConfig()`): its variables, and on
   * MSK the VPC placement, as the aggregator's idle flush gets them.
   */
  readonly streamClient: StreamClientConfig;
  /** Whose dead-letter queue it takes the batches from, and in whose checkpoints it queues them. */
  readonly aggregator: Aggregator;
  /** The aggregator's late stream: redriven records whose windows have closed go there at once. */
  readonly lateDelivery: IDeliveryStream;
  readonly stateBucket: IBucket;
}

/**
 * The way back for batches the aggregator's event source mapping gave up on. Lambda's on-failure
 * record names a batch (Kinesis: shard, first and last sequence number; Kafka: partition and
 * offsets), not its records, which stay in the stream until its retention ends. This function, run
 * by an operator once the cause is fixed (`aws lambda invoke --function-name <name> --payload '{}'
 * out.json`), reads each such batch back once. Records of windows that have closed by now (usually
 * all of them) go to the late stream, and those the pipeline rejects to the dead-letter queue; the
 * others wait in their shard's (partition's) checkpoint until its own flow applies them
 * (functions/handlers/redrive.ts, functions/adapters/aggregator/redrive-inbox.ts). It sends no
 * window results.
 * On both transports. On MSK it reads with a kafkajs consumer in a consumer group of its own, a
 * fresh one per run (`KAFKA_REDRIVE_GROUP`-<random>, never committed): the mapping's group has
 * moved past the failed offsets. Like the idle flush it runs in the cluster's VPC.
 */
export class Redrive extends Construct {
  public readonly function: IFunction;

  constructor(scope: Construct, id: string, props: RedriveProps) {
    super(scope, id);
    const { aggregator, stream, streamClient } = props;
    const redrive = new TributaryFunction(this, 'Handler', {
      entry: 'functions/handlers/redrive.ts',
      description: `Tributary redrive of ${props.pipeline}: queues the batches its mapping gave up on`,
      // The longest Lambda allows: a run takes up to 1,000 messages, each a read of the stream.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: {
        PIPELINE_NAME: aggregator.environment.PIPELINE_NAME,
        STATE_BUCKET: aggregator.environment.STATE_BUCKET,
        STATE_PREFIX: aggregator.environment.STATE_PREFIX,
        DEAD_LETTER_QUEUE_URL: aggregator.environment.DEAD_LETTER_QUEUE_URL,
        LATE_DELIVERY_STREAM: aggregator.environment.LATE_DELIVERY_STREAM,
        // TRANSPORT, and on MSK the brokers and auth mode; then the redrive's own (MSK: its groups).
        ...streamClient.environment,
        ...stream.redriveEnvironment(),
        STREAM_NAME: stream.streamName,
        POWERTOOLS_SERVICE_NAME: 'tributary-redrive',
      },
      // On MSK the brokers are reachable from the VPC only; its NAT gateway and endpoints still
      // reach Firehose, SQS and the state bucket.
      network: streamClient.network,
    });
    this.function = redrive.function;
    // Reads and rewrites checkpoints; never deletes one.
    props.stateBucket.grantRead(redrive.function, aggregator.stateKeys);
    props.stateBucket.grantPut(redrive.function, aggregator.stateKeys);
    aggregator.deadLetterQueue.grantConsumeMessages(redrive.function);
    // Redriven records that change no window: late ones, and those the pipeline rejects.
    props.lateDelivery.grantPutRecords(redrive.function);
    aggregator.deadLetterQueue.grantSendMessages(redrive.function);
    // The batches' records, read back from this stream or topic only (PipelineStream.grantRedriveRead).
    stream.grantRedriveRead(redrive.function);
  }
}
