import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_VERSION, kafkaPom, serviceDir } from './config.js';
import { CommandFailedError } from './errors.js';
import type { Log } from './localstack-install.js';
import { resolveMavenJars } from './maven-jars.js';

/** Where the broker's jars go: `.local/kafka/libs`. */
export function kafkaLibs(): string {
  return join(serviceDir('kafka'), 'libs');
}

/** Resolves the Kafka broker jars from Maven Central with the project's pom (once per pom). */
export async function installKafka(log: Log): Promise<string> {
  if (!readFileSync(kafkaPom(), 'utf8').includes(`<kafka.version>${KAFKA_VERSION}</kafka.version>`)) {
    throw new CommandFailedError(`${kafkaPom()} must pin kafka.version ${KAFKA_VERSION} (as config.ts does)`);
  }
  return resolveMavenJars(
    { pom: kafkaPom(), libs: kafkaLibs(), expectedJar: `kafka_2.13-${KAFKA_VERSION}.jar`, label: 'kafka' },
    log,
  );
}
