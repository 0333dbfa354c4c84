import { join } from 'node:path';
import { projectRoot, stateDir } from '../tools/state-dir.js';
import { ServiceConfigError } from './errors.js';

/** The two services `tributary services` manages. */
export const SERVICE_NAMES = ['localstack', 'kafka'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** How a service runs: on the host (the default, and what CI tests) or in a container. */
export type ServiceMode = 'host' | 'docker';

/** Only the loopback address: the services are for this machine, never the network. */
export const HOST = '127.0.0.1';

/** Versions and images, pinned. See TRAPS.md for why LocalStack differs between host and Docker. */
export const LOCALSTACK_HOST_VERSION = '4.13.1';
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.14.0';
export const KAFKA_VERSION = '3.9.2';
/** The image Kafka's 3.9 documentation names; an image of 3.9.2 could not be confirmed offline. */
export const KAFKA_IMAGE_VERSION = '3.9.1';
export const KAFKA_IMAGE = `apache/kafka:${KAFKA_IMAGE_VERSION}`;

/** The AWS services LocalStack loads; the others are not needed by the pipeline and cost start time. */
export const LOCALSTACK_SERVICES = ['kinesis', 's3', 'sqs', 'firehose', 'cloudwatch', 'logs', 'sts', 'iam'];

/** Ports, overridable so the services can live beside another LocalStack or Kafka. */
export interface Ports {
  readonly localstack: number;
  readonly kafka: number;
  /** The KRaft controller listener of the single Kafka node. */
  readonly kafkaController: number;
}

/** Reads the port settings from the environment; rejects anything but a port number. */
export function ports(env: NodeJS.ProcessEnv = process.env): Ports {
  const kafka = port(env, 'TRIBUTARY_KAFKA_PORT', 9092);
  return {
    localstack: port(env, 'TRIBUTARY_LOCALSTACK_PORT', 4566),
    kafka,
    kafkaController: port(env, 'TRIBUTARY_KAFKA_CONTROLLER_PORT', kafka + 1),
  };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1024 || value > 65535) {
    throw new ServiceConfigError(`${name} must be a port number 1024-65535 (given ${JSON.stringify(raw)})`);
  }
  return value;
}

/** Where one service keeps its data, pid and log files: `.local/<service>/`. */
export function serviceDir(name: ServiceName): string {
  return join(stateDir(), name);
}

export function logFile(name: ServiceName): string {
  return join(serviceDir(name), `${name}.log`);
}

export function pidFile(name: ServiceName): string {
  return join(serviceDir(name), `${name}.pid`);
}

/**
 * LocalStack's own version pins for 4.13.1 (its requirements-runtime.txt at that tag; they install
 * unchanged on Python 3.11), kept in the repository so a clone alone can install LocalStack.
 */
export function localstackConstraintsFile(): string {
  return join(projectRoot, 'local', 'services', 'localstack', 'constraints-4.13.1.txt');
}

export function kafkaPom(): string {
  return join(projectRoot, 'local', 'services', 'kafka', 'pom.xml');
}
