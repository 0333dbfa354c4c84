import { spawn } from 'node:child_process';
import {
  HOST,
  KAFKA_IMAGE,
  KAFKA_IMAGE_VERSION,
  LOCALSTACK_IMAGE,
  LOCALSTACK_SERVICES,
  type Ports,
  type ServiceName,
} from './config.js';
import { PrerequisiteError } from './errors.js';
import { waitForKafka } from './kafka.js';
import { newClusterId } from './kafka-config.js';
import { waitForLocalstack } from './localstack.js';
import type { Log } from './localstack-install.js';
import { run } from './run.js';
import type { KafkaState, LocalstackState } from './state-file.js';

/** The container of one service; `down` stops only containers with these names and our label. */
export function containerName(name: ServiceName): string {
  return `tributary-${name}`;
}

/**
 * The `--docker` path needs an engine, not just the client (these machines have only the
 * client): `docker info` must answer within a few seconds.
 */
export async function requireDockerEngine(): Promise<string> {
  try {
    const { stdout } = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 15_000 });
    return stdout.trim();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n').slice(-3).join(' ');
    throw new PrerequisiteError(
      `--docker needs a running Docker engine, but none answered (docker info: ${reason}). ` +
        'Start Docker, or run without --docker to use host mode (LocalStack from a virtualenv, Kafka on the JVM).',
    );
  }
}

function dockerRun(
  name: ServiceName,
  hostPort: number,
  containerPort: number,
  env: Record<string, string>,
  image: string,
) {
  const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
  return run(
    'docker',
    [
      'run',
      '--detach',
      '--rm',
      '--name',
      containerName(name),
      '--label',
      `tributary.service=${name}`,
      '--publish',
      `${HOST}:${hostPort}:${containerPort}`,
      ...envArgs,
      image,
    ],
    { timeoutMs: 600_000 },
  );
}

/** Runs the pinned LocalStack image (the last one without an account token). */
export async function startLocalstackDocker(
  port: number,
  timeoutMs: number,
  log: Log,
): Promise<LocalstackState> {
  await requireDockerEngine();
  const started = new Date();
  await dockerRun(
    'localstack',
    port,
    4566,
    {
      SERVICES: LOCALSTACK_SERVICES.join(','),
      KINESIS_LATENCY: '0',
      KINESIS_MOCK_LOG_LEVEL: 'ERROR',
      DISABLE_EVENTS: '1',
    },
    LOCALSTACK_IMAGE,
  );
  log(`localstack: container ${containerName('localstack')} (${LOCALSTACK_IMAGE}) started`);
  const state = await waitForLocalstack(`http://${HOST}:${port}`, timeoutMs);
  return {
    ...state,
    mode: 'docker',
    container: containerName('localstack'),
    startedAt: started.toISOString(),
  };
}

/** Runs the official Kafka image as a single KRaft node advertised on the host's port. */
export async function startKafkaDocker(ports: Ports, timeoutMs: number, log: Log): Promise<KafkaState> {
  await requireDockerEngine();
  const started = new Date();
  const clusterId = newClusterId();
  await dockerRun(
    'kafka',
    ports.kafka,
    9092,
    {
      CLUSTER_ID: clusterId,
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${HOST}:${ports.kafka}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    },
    KAFKA_IMAGE,
  );
  log(`kafka: container ${containerName('kafka')} (${KAFKA_IMAGE}) started`);
  const brokers = [`${HOST}:${ports.kafka}`];
  await waitForKafka(brokers, timeoutMs);
  return {
    mode: 'docker',
    version: KAFKA_IMAGE_VERSION,
    brokers,
    clusterId,
    container: containerName('kafka'),
    startedAt: started.toISOString(),
  };
}

/** Stops one of our containers (`--rm` removes it); a container already gone is fine. */
export async function stopContainer(name: ServiceName): Promise<void> {
  const { stdout } = await run('docker', [
    'ps',
    '-q',
    '--filter',
    `name=^${containerName(name)}$`,
    '--filter',
    `label=tributary.service=${name}`,
  ]);
  if (stdout.trim()) await run('docker', ['stop', containerName(name)], { timeoutMs: 60_000 });
}

/** `docker logs` of one of our containers, straight to this terminal. */
export function containerLogs(name: ServiceName, lines: number, follow: boolean): Promise<number> {
  const args = ['logs', '--tail', String(lines), ...(follow ? ['--follow'] : []), containerName(name)];
  return new Promise((resolve) => {
    const child = spawn('docker', args, { stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('close', (code) => resolve(code ?? 1));
  });
}
