import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, type Ports, serviceDir } from './config.js';

/** A KRaft cluster id: 16 random bytes, base64url without padding (what `kafka-storage random-uuid` prints). */
export function newClusterId(): string {
  // Never with a leading '-': kafka-storage's argument parser takes `-t -Xyz…` for a missing value
  // and an unknown option (1 id in 64; it failed a CI run). Kafka's own Uuid.randomUuid() skips them too.
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Files of the single Kafka node under `.local/kafka/`. */
export function kafkaPaths() {
  const dir = serviceDir('kafka');
  return {
    dir,
    data: join(dir, 'data'),
    serverProperties: join(dir, 'server.properties'),
    log4jProperties: join(dir, 'log4j.properties'),
  };
}

/**
 * server.properties of a combined broker + controller node on the loopback address. Internal
 * topics get replication factor 1 (there is one node), groups start rebalancing at once, and
 * topics are never created implicitly, as on MSK: tests must create theirs with waitForLeaders.
 */
export function serverProperties(ports: Ports, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${ports.kafkaController}`,
    `listeners=PLAINTEXT://${HOST}:${ports.kafka},CONTROLLER://${HOST}:${ports.kafkaController}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${ports.kafka}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

/** Warnings and the start/stop lines only: INFO would log every topic and group change. */
const LOG4J = [
  'log4j.rootLogger=WARN, stdout',
  'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
  'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
  'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
  'log4j.logger.kafka.server.BrokerServer=INFO',
  'log4j.logger.kafka.server.ControllerServer=INFO',
  'log4j.logger.kafka.server.KafkaRaftServer=INFO',
  '',
].join('\n');

/** Writes the configuration files (they follow the current ports) and returns the paths. */
export function writeKafkaConfig(ports: Ports): ReturnType<typeof kafkaPaths> {
  const paths = kafkaPaths();
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.serverProperties, serverProperties(ports, paths.data));
  writeFileSync(paths.log4jProperties, LOG4J);
  return paths;
}

/** The cluster id the storage was formatted with, or undefined when it is not formatted yet. */
export function formattedClusterId(dataDir: string): string | undefined {
  const meta = join(dataDir, 'meta.properties');
  if (!existsSync(meta)) return undefined;
  return /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1]?.trim();
}
