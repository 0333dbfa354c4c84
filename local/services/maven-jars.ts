import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandFailedError } from './errors.js';
import type { Log } from './localstack-install.js';
import { requireJava, requireMaven } from './prerequisites.js';
import { run } from './run.js';

/** A pom whose runtime dependencies are copied into one folder of jars. */
export interface MavenJars {
  /** The pom (packaging pom, nothing built): its dependencies are the jars. */
  readonly pom: string;
  /** Where the jars go. */
  readonly libs: string;
  /** A jar that must be among them, or the resolution is taken to have failed. */
  readonly expectedJar: string;
  /** What the jars are for, in log lines: "kafka", "kafka-streams oracle". */
  readonly label: string;
}

/**
 * Resolves a pom's runtime jars from Maven Central with `mvn dependency:copy-dependencies`, unless
 * the jars of this very pom are there already (a marker holds the pom's hash, so a version bump
 * re-resolves). Returns the folder.
 */
export async function resolveMavenJars(jars: MavenJars, log: Log): Promise<string> {
  await requireJava();
  const digest = createHash('sha256').update(readFileSync(jars.pom)).digest('hex');
  const marker = join(jars.libs, '.tributary-pom');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === digest) return jars.libs;

  await requireMaven();
  log(`${jars.label}: resolving ${jars.expectedJar} and its dependencies with Maven into ${jars.libs}`);
  rmSync(jars.libs, { recursive: true, force: true });
  mkdirSync(jars.libs, { recursive: true });
  await run(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      jars.pom,
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${jars.libs}`,
    ],
    { timeoutMs: 600_000 },
  );
  const found = readdirSync(jars.libs).filter((f) => f.endsWith('.jar'));
  if (!found.includes(jars.expectedJar)) {
    throw new CommandFailedError(`mvn finished but ${jars.libs} has no ${jars.expectedJar}`);
  }
  writeFileSync(marker, digest);
  log(`${jars.label}: ${found.length} jars in ${jars.libs}`);
  return jars.libs;
}
