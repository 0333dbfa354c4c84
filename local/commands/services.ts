import { type Command, UsageError } from '../cli/command.js';
import { parseCount, parseOptions } from '../cli/parse-options.js';
import { logFile, SERVICE_NAMES, type ServiceName } from '../services/config.js';
import { containerLogs } from '../services/docker.js';
import { install } from '../services/install.js';
import { follow, tailLines } from '../services/logs.js';
import { down, type ServiceStatus, status, up } from '../services/manager.js';
import { readState } from '../services/state-file.js';

const SUBCOMMANDS = ['up', 'down', 'status', 'logs', 'install'] as const;

const usage = `Usage: tributary services <up|down|status|logs|install> [service...] [options]

The real local services that the tests and the local runtime use:
  localstack  LocalStack 4.13.1 on the host: Kinesis, S3, SQS, Firehose, CloudWatch, Logs, STS, IAM
  kafka       Apache Kafka 3.9.2, a single KRaft node on the JVM (jars from Maven Central)
A command without services acts on both. Endpoints and versions go to .local/services.json.

Subcommands:
  up [service...]        start the services, or reuse them when they already run and are healthy
  down [service...]      stop what up started (by pid and process group, or by container)
  status                 versions, endpoints, pids and health (exit 1 when one is not healthy)
  logs <service>         print the end of a service's log
  install [service...]   install without starting: LocalStack's virtualenv and kinesis-mock, the Kafka jars

Options:
  --docker               up: run localstack/localstack:4.14.0 and apache/kafka:3.9.1 instead
                         (needs a Docker engine; not covered by CI)
  --timeout <seconds>    up: how long each service may take to become healthy (default 180)
  --json                 status: print the state with health as JSON
  -n, --lines <count>    logs: how many lines (default 50)
  -f, --follow           logs: keep printing what is appended

Environment:
  TRIBUTARY_LOCALSTACK_PORT         LocalStack's port (default 4566)
  TRIBUTARY_KAFKA_PORT              Kafka's port (default 9092)
  TRIBUTARY_KAFKA_CONTROLLER_PORT   the KRaft controller's port (default: Kafka's port + 1)
  TRIBUTARY_STATE_DIR               the state folder (default .local/ in the project)

Examples:
  tributary services up
  tributary services status
  tributary services logs kafka -n 100
  tributary services down localstack`;

/** `tributary services`: run LocalStack and Kafka for tests and the local runtime. */
export const servicesCommand: Command = {
  name: 'services',
  summary: 'start, stop, inspect the local LocalStack and Kafka (up | down | status | logs | install)',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'up':
        return runUp(rest);
      case 'down':
        return runDown(rest);
      case 'status':
        return runStatus(rest);
      case 'logs':
        return runLogs(rest);
      case 'install':
        return runInstall(rest);
      default:
        throw new UsageError(
          `services: expected a subcommand, one of ${SUBCOMMANDS.join(', ')} (given ${sub === undefined ? 'none' : JSON.stringify(sub)})`,
        );
    }
  },
};

const log = (line: string) => console.error(line);

/** Service names given as positionals; none means both. */
export function parseServices(sub: string, names: readonly string[]): ServiceName[] {
  for (const name of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(
        `services ${sub}: unknown service ${JSON.stringify(name)} (expected ${SERVICE_NAMES.join(' or ')})`,
      );
    }
  }
  const chosen = names.length === 0 ? SERVICE_NAMES : names;
  return SERVICE_NAMES.filter((n) => chosen.includes(n));
}

async function runUp(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions(
    'services up',
    argv,
    { docker: { type: 'boolean' }, timeout: { type: 'string' } },
    true,
  );
  const timeout = parseCount('timeout', values.timeout, 180, 1);
  const services = parseServices('up', positionals);
  await up({ services, mode: values.docker ? 'docker' : 'host', timeoutMs: timeout * 1000, log });
  printStatus(await status(services));
  return 0;
}

async function runDown(argv: readonly string[]): Promise<number> {
  const { positionals } = parseOptions('services down', argv, {}, true);
  await down(parseServices('down', positionals), log);
  return 0;
}

async function runStatus(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions('services status', argv, { json: { type: 'boolean' } }, true);
  const statuses = await status(parseServices('status', positionals));
  if (values.json) console.log(JSON.stringify(statuses, null, 2));
  else printStatus(statuses);
  return statuses.every((s) => s.healthy) ? 0 : 1;
}

async function runLogs(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseOptions(
    'services logs',
    argv,
    { lines: { type: 'string', short: 'n' }, follow: { type: 'boolean', short: 'f' } },
    true,
  );
  if (positionals.length !== 1) {
    throw new UsageError(
      `services logs: expected exactly one service, ${SERVICE_NAMES.join(' or ')} (given ${positionals.length})`,
    );
  }
  const [name] = parseServices('logs', positionals);
  if (name === undefined) throw new UsageError('services logs: expected a service');
  const lines = parseCount('lines', values.lines, 50);
  const entry = readState()[name];
  if (entry?.mode === 'docker') return containerLogs(name, lines, values.follow === true);
  const file = entry?.logFile ?? logFile(name);
  const text = tailLines(file, lines);
  if (text.length === 0 && !values.follow) console.error(`${name}: no log yet at ${file}`);
  for (const line of text) console.log(line);
  if (values.follow) {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    await follow(file, (chunk) => process.stdout.write(chunk), stop.signal);
  }
  return 0;
}

async function runInstall(argv: readonly string[]): Promise<number> {
  const { positionals } = parseOptions('services install', argv, {}, true);
  const seconds = await install(parseServices('install', positionals), log);
  for (const [name, s] of Object.entries(seconds)) console.log(`${name}: installed in ${s.toFixed(1)} s`);
  return 0;
}

function printStatus(statuses: readonly ServiceStatus[]): void {
  for (const { name, state, running, healthy } of statuses) {
    if (!state || !running) {
      console.log(`${name.padEnd(10)}  not running`);
      continue;
    }
    const where = 'endpoint' in state ? state.endpoint : state.brokers.join(',');
    const owner = state.pid !== undefined ? `pid ${state.pid}` : `container ${state.container ?? '?'}`;
    const health = healthy ? 'healthy' : 'NOT HEALTHY';
    console.log(
      `${name.padEnd(10)}  ${state.version.padEnd(7)} ${state.mode.padEnd(6)}  ${where}  ${owner}  ${health}`,
    );
  }
}
