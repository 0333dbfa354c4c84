import { join } from 'node:path';
import { PrerequisiteError } from './errors.js';
import { run } from './run.js';

/** The Java launcher: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` on PATH. */
export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** Parses the major version out of `java -version` output ("17.0.15", "1.8.0_402", "21"). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

const JAVA_HINT =
  'install OpenJDK 17 or newer (Debian: `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME';
const MAVEN_HINT = 'install Maven 3 (Debian: `apt-get install maven`)';

/** Kafka 3.9 runs on Java 11+, but we require 17 (what CI has, and what Kafka 4 needs). */
export async function requireJava(minimum = 17): Promise<number> {
  const java = javaCommand();
  let output: string;
  try {
    const result = await run(java, ['-version'], { timeoutMs: 30_000 });
    output = `${result.stderr}\n${result.stdout}`;
  } catch (error) {
    throw new PrerequisiteError(
      `Kafka needs Java ${minimum}+, but ${java} did not run (${msg(error)}): ${JAVA_HINT}`,
    );
  }
  const major = parseJavaMajor(output);
  if (major === undefined || major < minimum) {
    const found = major === undefined ? JSON.stringify(output.trim().split('\n')[0]) : `Java ${major}`;
    throw new PrerequisiteError(`Kafka needs Java ${minimum}+, found ${found} at ${java}: ${JAVA_HINT}`);
  }
  return major;
}

/** Maven resolves the Kafka jars from Maven Central (local/services/kafka/pom.xml). */
export async function requireMaven(): Promise<void> {
  try {
    await run('mvn', ['-v'], { timeoutMs: 60_000 });
  } catch (error) {
    throw new PrerequisiteError(
      `the Kafka jars are fetched with Maven, but mvn did not run (${msg(error)}): ${MAVEN_HINT}`,
    );
  }
}

function msg(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
