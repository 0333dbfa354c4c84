// Shared by the runner's unit tests: the fixture app, a runner on fake shards, polling helpers.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EventSourceMappingRunner } from '../../../../local/runtime/event-source-mapping/index.js';
import { LocalLambdaRuntime, memoryLogSink } from '../../../../local/runtime/lambda/index.js';
import { CloudAssembly, defaultLocalContext } from '../../../../local/runtime/template/index.js';
import { projectRoot } from '../../../../local/tools/state-dir.js';
import type { FakeShards } from '../kinesis/fake-shards.js';

const fixtureDir = join(projectRoot, 'test', 'fixtures', 'templates', 'esm-app');
const MAPPING = 'RecorderKinesisEventSourceEsmTestStreamF2B4C8A1';

/** One invocation as the recorder fixture handler wrote it. */
export interface Line {
  outcome: string;
  records: { seq: string; pk: string; shard: string; id: number }[];
  window?: { start: string; end: string };
  isFinalInvokeForWindow?: boolean;
  state?: { count?: number };
  failed?: string;
}

/** The fixture app with the mapping's properties changed. */
export function assemblyWith(mapping: Record<string, unknown>): CloudAssembly {
  const template = JSON.parse(readFileSync(join(fixtureDir, 'EsmTest.template.json'), 'utf8'));
  Object.assign(template.Resources[MAPPING].Properties, mapping);
  return CloudAssembly.fromTemplates({ EsmTest: template }, { dir: fixtureDir });
}

const cleanups: (() => Promise<void>)[] = [];

/** Stops every runner started since the last call (call it in afterEach). */
export async function stopAll(): Promise<void> {
  for (const cleanup of cleanups.splice(0)) await cleanup();
}

/**
 * Starts the runner on the fixture app with a fake shard source, the recorder handler writing to
 * `<dir>/invocations.jsonl`, a stub SQS client collecting on-failure records, and fast polling.
 */
export function start(
  assembly: CloudAssembly,
  shards: FakeShards,
  dir = mkdtempSync(join(tmpdir(), 'esm-')),
) {
  const recordFile = join(dir, 'invocations.jsonl');
  const sent: unknown[] = [];
  const logs: string[] = [];
  const sqs = {
    send: async (command: { input: { MessageBody: string } }) =>
      sent.push(JSON.parse(command.input.MessageBody)),
  };
  const lambda = new LocalLambdaRuntime(assembly, {
    local: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' },
    logs: memoryLogSink(),
    environmentOverrides: () => ({ RECORD_FILE: recordFile }),
  });
  const runner = EventSourceMappingRunner.start({
    assembly,
    lambda,
    context: defaultLocalContext(),
    kinesis: {} as KinesisClient,
    sqs: sqs as unknown as SQSClient,
    checkpointFile: join(dir, 'esm-checkpoints.json'),
    shardSource: () => shards,
    polling: { pollIntervalMs: 10, backoffBaseMs: 5, maxBackoffMs: 20 },
    shardDiscoveryIntervalMs: 50,
    log: (message) => logs.push(message),
  });
  const stop = async () => {
    await runner.stop();
    lambda.close();
  };
  cleanups.push(stop);
  const lines = (): Line[] =>
    existsSync(recordFile)
      ? readFileSync(recordFile, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  return { runner, lines, sent, logs, dir, stop };
}

export async function until(condition: () => boolean, timeoutMs = 4_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Ids of the records of successful invocations, in invocation order. */
export const processedIds = (lines: Line[]) =>
  lines.filter((l) => l.outcome === 'ok').flatMap((l) => l.records.map((r) => r.id));
