import { join } from 'node:path';
import { stateDir } from '../tools/state-dir.js';
import {
  HOST,
  KAFKA_VERSION,
  logFile,
  pidFile,
  ports,
  type ServiceMode,
  type ServiceName,
} from './config.js';
import { startKafkaDocker, startLocalstackDocker, stopContainer } from './docker.js';
import { HealthTimeoutError, PortTakenError } from './errors.js';
import { portOpen, whoListens } from './health.js';
import { KAFKA_MARKER, kafkaHealthy, startKafkaHost, waitForKafka } from './kafka.js';
import { formattedClusterId, kafkaPaths } from './kafka-config.js';
import { LOCALSTACK_MARKER, localstackHealth, startLocalstackHost, waitForLocalstack } from './localstack.js';
import { localstackFilesystemRoot } from './localstack-env.js';
import type { Log } from './localstack-install.js';
import { withLock } from './lock.js';
import { isAlive, isOurs, pidsWithCommandLine, readPidFile, removePidFile, stopGroup } from './process.js';
import { type KafkaState, type LocalstackState, readState, updateState } from './state-file.js';

/** What `up` should start, how, and how long it may take. */
export interface UpOptions {
  readonly services: readonly ServiceName[];
  readonly mode: ServiceMode;
  readonly timeoutMs: number;
  readonly log: Log;
  /** Recorded with what is started: test runs stop only services that test runs started. */
  readonly startedBy?: 'cli' | 'tests';
  /**
   * Whether reusing a service a test run started makes it the developer's (kept after the tests).
   * `tributary start` passes false: a test that runs it must not keep the test run's services alive.
   * @default true
   */
  readonly claim?: boolean;
}

/** One service after `up`: whether it was already running (and so is not ours to stop later). */
export interface UpOutcome {
  readonly name: ServiceName;
  readonly reused: boolean;
}

const MARKERS: Record<ServiceName, string> = { localstack: LOCALSTACK_MARKER, kafka: KAFKA_MARKER };

/**
 * Starts the services that are not running yet and reuses those that are: a service we started
 * earlier (live pid with our command line, or our container) is waited on until healthy, never
 * started twice. A port held by anything else is an error naming the holder.
 */
export function up(options: UpOptions): Promise<UpOutcome[]> {
  return withServicesLock(async () => {
    const outcomes: UpOutcome[] = [];
    for (const name of options.services) {
      const reused = await reuse(name, options);
      if (!reused) await start(name, options);
      outcomes.push({ name, reused });
    }
    return outcomes;
  });
}

/** Serializes changes to the services across processes (test runs, CLI calls) in one checkout. */
export function withServicesLock<T>(fn: () => Promise<T>): Promise<T> {
  return withLock(join(stateDir(), 'services.lock'), fn);
}

async function reuse(name: ServiceName, options: UpOptions): Promise<boolean> {
  const entry = readState()[name];
  const pid = readPidFile(pidFile(name));
  const hostRunning = isOurs(pid, MARKERS[name]);
  if (!hostRunning && entry?.mode !== 'docker') {
    // Whatever the files say is stale: the process is gone (or its pid now belongs to another).
    if (pid !== undefined) removePidFile(pidFile(name));
    if (entry) updateState(name, undefined);
    return false;
  }
  if (entry?.mode === 'docker' && !(await healthy(name, entry))) {
    updateState(name, undefined);
    return false;
  }
  if (entry && entry.mode !== options.mode) {
    options.log(`${name}: already running in ${entry.mode} mode; reusing it (run down first to switch)`);
  }
  try {
    if (name === 'localstack') {
      const endpoint = entry && 'endpoint' in entry ? entry.endpoint : `http://${HOST}:${ports().localstack}`;
      const health = await waitForLocalstack(endpoint, options.timeoutMs, hostRunning ? pid : undefined);
      if (!entry) updateState('localstack', rebuilt(health, pid));
    } else {
      const brokers = entry && 'brokers' in entry ? entry.brokers : [`${HOST}:${ports().kafka}`];
      await waitForKafka(brokers, options.timeoutMs, hostRunning ? pid : undefined);
      if (!entry) updateState('kafka', rebuiltKafka(brokers, pid));
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new HealthTimeoutError(
      `${reason}. It runs but does not answer: \`tributary services down ${name}\`, then up again`,
    );
  }
  claimIfWanted(name, options);
  options.log(`${name}: already running${hostRunning ? ` (pid ${pid})` : ''}, healthy; reused`);
  return true;
}

/**
 * Who owns a reused service afterwards. A developer's `up` claims a service a test run started, so
 * the test run's end leaves it running; a test run, or `tributary start` (claim false), does not.
 */
export function ownerAfterReuse(
  owner: 'cli' | 'tests' | undefined,
  options: Pick<UpOptions, 'startedBy' | 'claim'>,
): 'cli' | 'tests' | undefined {
  const claims = (options.startedBy ?? 'cli') === 'cli' && options.claim !== false;
  return claims && owner === 'tests' ? 'cli' : owner;
}

function claimIfWanted(name: ServiceName, options: UpOptions): void {
  const { localstack, kafka } = readState();
  if (name === 'localstack' && localstack) {
    const startedBy = ownerAfterReuse(localstack.startedBy, options);
    if (startedBy !== localstack.startedBy) updateState('localstack', { ...localstack, startedBy });
  }
  if (name === 'kafka' && kafka) {
    const startedBy = ownerAfterReuse(kafka.startedBy, options);
    if (startedBy !== kafka.startedBy) updateState('kafka', { ...kafka, startedBy });
  }
}

// A process of ours runs but the state file lost its entry (deleted by hand): write it again.
function rebuilt(
  health: Pick<LocalstackState, 'endpoint' | 'version' | 'services'>,
  pid?: number,
): LocalstackState {
  return {
    ...health,
    mode: 'host',
    pid,
    logFile: logFile('localstack'),
    startedAt: new Date().toISOString(),
  };
}

function rebuiltKafka(brokers: string[], pid?: number): KafkaState {
  const clusterId = formattedClusterId(kafkaPaths().data) ?? 'unknown';
  const startedAt = new Date().toISOString();
  return {
    mode: 'host',
    version: KAFKA_VERSION,
    brokers,
    clusterId,
    pid,
    logFile: logFile('kafka'),
    startedAt,
  };
}

async function start(name: ServiceName, options: UpOptions): Promise<void> {
  const p = ports();
  const wanted = name === 'localstack' ? [p.localstack] : [p.kafka, p.kafkaController];
  for (const port of wanted) await requireFreePort(name, port);
  if (name === 'localstack') {
    const state =
      options.mode === 'docker'
        ? await startLocalstackDocker(p.localstack, options.timeoutMs, options.log)
        : await startLocalstackHost(p.localstack, options.timeoutMs, options.log);
    updateState('localstack', { ...state, startedBy: options.startedBy ?? 'cli' });
  } else {
    const state =
      options.mode === 'docker'
        ? await startKafkaDocker(p, options.timeoutMs, options.log)
        : await startKafkaHost(p, options.timeoutMs, options.log);
    updateState('kafka', { ...state, startedBy: options.startedBy ?? 'cli' });
  }
}

async function requireFreePort(name: ServiceName, port: number): Promise<void> {
  if (!(await portOpen(port))) return;
  const holder = whoListens(port) ?? 'a process this user cannot inspect';
  const variable = name === 'localstack' ? 'TRIBUTARY_LOCALSTACK_PORT' : 'TRIBUTARY_KAFKA_PORT';
  throw new PortTakenError(
    `${name}: port ${HOST}:${port} is already taken by ${holder}, which tributary did not start. ` +
      `Stop it, or choose another port with ${variable}=<port>.`,
  );
}

/** Stops what `up` started, by pid (process group) or container, and forgets it. */
export function down(services: readonly ServiceName[], log: Log): Promise<void> {
  return withServicesLock(() => stopServices(services, log));
}

/** `down` without taking the lock, for callers that hold it already. */
export async function stopServices(services: readonly ServiceName[], log: Log): Promise<void> {
  for (const name of services) {
    const entry = readState()[name];
    const pid = readPidFile(pidFile(name)) ?? entry?.pid;
    if (entry?.mode === 'docker') {
      await stopContainer(name);
      log(`${name}: container stopped`);
    } else if (isOurs(pid, MARKERS[name])) {
      const stopped = await stopGroup(pid);
      log(stopped ? `${name}: stopped pid ${pid}` : `${name}: pid ${pid} did not stop, even after SIGKILL`);
    } else if (pid !== undefined && isAlive(pid)) {
      log(`${name}: pid ${pid} now belongs to another program; left alone`);
    } else {
      log(`${name}: not running`);
    }
    if (name === 'localstack' && entry?.mode !== 'docker') stopOrphanedKinesisMock(log);
    removePidFile(pidFile(name));
    updateState(name, undefined);
  }
}

/**
 * LocalStack stops its kinesis-mock on SIGTERM, but kinesis-mock runs in a process group of its own:
 * after a LocalStack killed with SIGKILL (a crash, `kill -9`, or stopGroup's last resort) it keeps
 * running, holding the old streams. It is found by its path under the managed filesystem root.
 */
function stopOrphanedKinesisMock(log: Log): void {
  for (const pid of pidsWithCommandLine(localstackFilesystemRoot())) {
    try {
      process.kill(pid, 'SIGKILL');
      log(`localstack: stopped pid ${pid}, left behind by a LocalStack that was killed (kinesis-mock)`);
    } catch {
      // gone meanwhile
    }
  }
}

/** One line of `status`. */
export interface ServiceStatus {
  readonly name: ServiceName;
  readonly state: LocalstackState | KafkaState | undefined;
  readonly running: boolean;
  readonly healthy: boolean;
}

/** What runs, as recorded in the state file, checked against the processes and health endpoints. */
export async function status(services: readonly ServiceName[]): Promise<ServiceStatus[]> {
  const all = readState();
  return Promise.all(
    services.map(async (name) => {
      const state = all[name];
      const running =
        state?.mode === 'docker' ? true : isOurs(readPidFile(pidFile(name)) ?? state?.pid, MARKERS[name]);
      const isHealthy = state !== undefined && running && (await healthy(name, state));
      return { name, state, running: state !== undefined && running, healthy: isHealthy };
    }),
  );
}

async function healthy(name: ServiceName, state: LocalstackState | KafkaState): Promise<boolean> {
  try {
    if (name === 'localstack' && 'endpoint' in state)
      return (await localstackHealth(state.endpoint)) !== undefined;
    if ('brokers' in state) return (await kafkaHealthy(state.brokers)) === true;
  } catch {
    // unreachable counts as unhealthy
  }
  return false;
}
