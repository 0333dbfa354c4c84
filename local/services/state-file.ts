import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { stateDir } from '../tools/state-dir.js';
import type { ServiceName } from './config.js';
import { ServiceConfigError } from './errors.js';

const common = {
  version: z.string().min(1),
  mode: z.enum(['host', 'docker']),
  /** Host mode: the process group leader we started. */
  pid: z.number().int().positive().optional(),
  /** Docker mode: the container we started. */
  container: z.string().min(1).optional(),
  /** Host mode: where its output goes (Docker mode: `docker logs <container>`). */
  logFile: z.string().min(1).optional(),
  startedAt: z.iso.datetime(),
  /** Who asked for it: a test run stops only what test runs started, never a developer's `up`. */
  startedBy: z.enum(['cli', 'tests']).optional(),
};

export const localstackStateSchema = z.object({
  ...common,
  endpoint: z.url(),
  services: z.array(z.string()),
});

export const kafkaStateSchema = z.object({
  ...common,
  brokers: z.array(z.string().regex(/^[^:]+:\d+$/)).min(1),
  clusterId: z.string().min(1),
});

/** The shape of `.local/services.json`: what runs, where, which version, started how. */
export const servicesStateSchema = z.object({
  localstack: localstackStateSchema.optional(),
  kafka: kafkaStateSchema.optional(),
});

export type LocalstackState = z.infer<typeof localstackStateSchema>;
export type KafkaState = z.infer<typeof kafkaStateSchema>;
export type ServicesState = z.infer<typeof servicesStateSchema>;

/** Path of the state file the tests and the local runtime read. */
export function stateFile(): string {
  return join(stateDir(), 'services.json');
}

/** Reads the state file; an absent file is an empty state, a malformed one an error naming the file. */
export function readState(path = stateFile()): ServicesState {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ServiceConfigError(`${path} is not JSON (${(error as Error).message}); delete it and run up`);
  }
  const parsed = servicesStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ServiceConfigError(
      `${path} does not have the expected shape: ${z.prettifyError(parsed.error)}; delete it and run up`,
    );
  }
  return parsed.data;
}

/** Sets or removes one service's entry, writing through a temporary file so readers never see half. */
export function updateState<K extends ServiceName>(
  name: K,
  entry: ServicesState[K] | undefined,
  path = stateFile(),
): ServicesState {
  const next: ServicesState = { ...readState(path), [name]: entry };
  if (entry === undefined) delete next[name];
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
  renameSync(temporary, path);
  return next;
}
