import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { KeyedRecord, WindowSpec } from '../../../functions/core/index.js';
import type { SpecAggregation } from '../../../functions/core/spec-aggregations.js';
import { KAFKA_VERSION } from '../../../local/services/config.js';
import { resolveMavenJars } from '../../../local/services/maven-jars.js';
import { javaCommand } from '../../../local/services/prerequisites.js';
import { projectRoot, stateDir } from '../../../local/tools/state-dir.js';

/** One result line as the replay command prints it; `values: null` is a tombstone. */
export interface ResultLine {
  readonly key: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly values: Record<string, number> | null;
}

/** How Kafka Streams emits: its two EmitStrategy values, or updates through suppress(untilWindowCloses). */
export type KafkaStreamsEmit = 'onWindowClose' | 'onWindowUpdate' | 'suppress';

/** A replay to run: the spec, how Kafka Streams should emit, and the input records (numeric values). */
export interface OracleCase {
  readonly spec: { readonly window: WindowSpec; readonly aggregations: Record<string, SpecAggregation> };
  readonly emit: KafkaStreamsEmit;
  readonly records: readonly KeyedRecord[];
  /** The store's retention (Materialized.withRetention); Kafka Streams' minimum when absent. */
  readonly retentionMs?: number;
}

/** What happened after each input record: the results emitted, and the late records dropped (kept, in Tributary). */
export interface OracleAnswer {
  readonly steps: ResultLine[][];
  readonly dropped: number[];
}

const here = join(projectRoot, 'test', 'oracle', 'kafka-streams');

/**
 * Kafka Streams (WindowOracle.java in one JVM, kept running for a whole test file): `ask` sends a
 * case and resolves with its answer. Cases are answered in order, one line each.
 */
export class KafkaStreamsOracle {
  private nextId = 0;
  private readonly waiting = new Map<number, (answer: OracleAnswer) => void>();
  private stderr = '';

  private constructor(private readonly jvm: ChildProcessWithoutNullStreams) {
    // A JVM that cannot start: the pending ask fails with it (see ask), never an unhandled event.
    jvm.on('error', (error) => {
      this.stderr += `\n${error.message}`;
    });
    jvm.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4000);
    });
    createInterface({ input: jvm.stdout }).on('line', (line) => {
      const { id, ...answer } = JSON.parse(line) as OracleAnswer & { id: number };
      this.waiting.get(id)?.(answer);
      this.waiting.delete(id);
    });
  }

  /** Resolves the Kafka Streams jars (Maven, once per pom) and starts the oracle's JVM. */
  static async start(): Promise<KafkaStreamsOracle> {
    const libs = await resolveMavenJars(
      {
        pom: join(here, 'pom.xml'),
        libs: join(stateDir(), 'kafka-streams-oracle', 'libs'),
        // The pom pins the broker's version: a bump of one without the other fails here.
        expectedJar: `kafka-streams-${KAFKA_VERSION}.jar`,
        label: 'kafka-streams oracle',
      },
      (line) => console.log(line),
    );
    const jvm = spawn(javaCommand(), ['-cp', join(libs, '*'), join(here, 'WindowOracle.java')], {
      stdio: 'pipe',
    });
    return new KafkaStreamsOracle(jvm);
  }

  ask(c: OracleCase): Promise<OracleAnswer> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Node may or may not follow a spawn error with 'exit': either one ends the wait.
      const onEnd = (reason: unknown) =>
        reject(
          new Error(`the Kafka Streams oracle ended (${String(reason)}) before answering: ${this.stderr}`),
        );
      this.jvm.once('exit', onEnd);
      this.jvm.once('error', onEnd);
      this.waiting.set(id, (answer) => {
        this.jvm.off('exit', onEnd);
        this.jvm.off('error', onEnd);
        resolve(answer);
      });
      this.jvm.stdin.write(`${JSON.stringify({ id, ...c })}\n`);
    });
  }

  async close(): Promise<void> {
    this.jvm.stdin.end();
    const running = this.jvm.exitCode === null && this.jvm.signalCode === null;
    if (running) await new Promise((resolve) => this.jvm.once('exit', resolve));
  }
}
