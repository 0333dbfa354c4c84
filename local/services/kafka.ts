import { Kafka, logLevel } from 'kafkajs';
import { HOST, KAFKA_VERSION, logFile, type Ports, pidFile } from './config.js';
import { portOpen, waitFor } from './health.js';
import { withKafkaAdmin } from './kafka-admin.js';
import { formattedClusterId, newClusterId, writeKafkaConfig } from './kafka-config.js';
import { installKafka } from './kafka-install.js';
import type { Log } from './localstack-install.js';
import { javaCommand } from './prerequisites.js';
import { isAlive, spawnDetached, stopIfUnhealthy } from './process.js';
import { run } from './run.js';
import type { KafkaState } from './state-file.js';

/** Found in the broker's command line: tells our process from a reused pid. */
export const KAFKA_MARKER = 'kafka.Kafka';

const JVM_OPTIONS = ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', '-Djava.awt.headless=true'];

/**
 * True when the broker answers a metadata request, lists a controller, can coordinate consumer
 * groups and can give an idempotent producer its id: an open port alone is not enough, KRaft serves
 * requests only after the quorum formed, and a fresh node loads its coordinators after that.
 */
export async function kafkaHealthy(brokers: readonly string[]): Promise<true | undefined> {
  const port = Number(brokers[0]?.split(':')[1]);
  if (!(await portOpen(port))) return undefined;
  const kafka = new Kafka({
    clientId: 'tributary-health',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const serving = await withKafkaAdmin(kafka, async (admin) => {
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0 || cluster.controller === null) return false;
    // A fresh node creates __consumer_offsets on the first coordinator lookup; doing it here
    // spares the first consumer group "The group coordinator is not available" and its retries.
    await admin.describeGroups(['tributary-health']);
    return true;
  });
  if (!serving) return undefined;
  // Likewise the producer ids: the first idempotent producer of a fresh node otherwise logs "The
  // coordinator is loading" as an error before its retry succeeds. (connect asks for the id.)
  const producer = kafka.producer({ idempotent: true, retry: { retries: 1 } });
  try {
    await producer.connect();
    return true;
  } finally {
    await producer.disconnect();
  }
}

/** Formats storage on first use, starts the broker on the JVM and waits until it serves metadata. */
export async function startKafkaHost(ports: Ports, timeoutMs: number, log: Log): Promise<KafkaState> {
  const libs = await installKafka(log);
  const paths = writeKafkaConfig(ports);
  const java = javaCommand();
  const log4j = `-Dlog4j.configuration=file:${paths.log4jProperties}`;
  const classpath = `${libs}/*`;

  let clusterId = formattedClusterId(paths.data);
  if (clusterId === undefined) {
    clusterId = newClusterId();
    await run(
      java,
      [
        log4j,
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        paths.serverProperties,
      ],
      { cwd: paths.dir, timeoutMs: 120_000 },
    );
    log(`kafka: formatted ${paths.data} (cluster id ${clusterId})`);
  }

  const started = Date.now();
  const pid = spawnDetached({
    command: java,
    args: [...JVM_OPTIONS, log4j, '-cp', classpath, KAFKA_MARKER, paths.serverProperties],
    cwd: paths.dir,
    env: process.env,
    logFile: logFile('kafka'),
    pidFile: pidFile('kafka'),
  });
  const brokers = [`${HOST}:${ports.kafka}`];
  log(`kafka: started pid ${pid}, waiting for ${brokers[0]}`);
  await stopIfUnhealthy(pid, pidFile('kafka'), () => waitForKafka(brokers, timeoutMs, pid));
  log(`kafka: ${KAFKA_VERSION} healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return {
    mode: 'host',
    version: KAFKA_VERSION,
    brokers,
    clusterId,
    pid,
    logFile: logFile('kafka'),
    startedAt: new Date(started).toISOString(),
  };
}

/** Waits for the broker; gives up early when the process we watch has died. */
export async function waitForKafka(
  brokers: readonly string[],
  timeoutMs: number,
  pid?: number,
): Promise<void> {
  await waitFor(() => kafkaHealthy(brokers), {
    what: 'kafka',
    timeoutMs,
    intervalMs: 500,
    abortIf: () =>
      pid !== undefined && !isAlive(pid) ? `the broker exited; see ${logFile('kafka')}` : undefined,
  });
}
