import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KAFKA_VERSION, kafkaPom, serviceDir } from './config.js';
import { CommandFailedError } from './errors.js';
import type { Log } from './localstack-install.js';
import { requireJava, requireMaven } from './prerequisites.js';
import { run } from './run.js';

/** Where the broker's jars go: `.local/kafka/libs`. */
export function kafkaLibs(): string {
  return join(serviceDir('kafka'), 'libs');
}

/**
 * Resolves the Kafka broker jars from Maven Central with the project's pom, unless the jars of
 * this very pom are there already (a marker holds the pom's hash, so a version bump re-resolves).
 */
export async function installKafka(log: Log): Promise<string> {
  await requireJava();
  const libs = kafkaLibs();
  const pom = readFileSync(kafkaPom(), 'utf8');
  if (!pom.includes(`<kafka.version>${KAFKA_VERSION}</kafka.version>`)) {
    throw new CommandFailedError(`${kafkaPom()} must pin kafka.version ${KAFKA_VERSION} (as config.ts does)`);
  }
  const digest = createHash('sha256').update(pom).digest('hex');
  const marker = join(libs, '.tributary-pom');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === digest) return libs;

  await requireMaven();
  log(`kafka: resolving kafka_2.13 ${KAFKA_VERSION} jars with Maven into ${libs}`);
  rmSync(libs, { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  await run(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      kafkaPom(),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${libs}`,
    ],
    { timeoutMs: 600_000 },
  );
  const jars = readdirSync(libs).filter((f) => f.endsWith('.jar'));
  if (!jars.includes(`kafka_2.13-${KAFKA_VERSION}.jar`)) {
    throw new CommandFailedError(`mvn finished but ${libs} has no kafka_2.13-${KAFKA_VERSION}.jar`);
  }
  writeFileSync(marker, digest);
  log(`kafka: ${jars.length} jars in ${libs}`);
  return libs;
}
