import type { CloudAssembly, TemplateResource } from '../template/index.js';
import { UnknownFunctionError } from './errors.js';
import type { EventKind } from './event-kind.js';

/** How AWS would invoke a function of the template, and the event shape that source sends. */
export interface EventSourceInfo {
  readonly kind: EventKind;
  /** One line for `--list`: "Kinesis tributary-dev-taxi-rides (batch 1000, window 5 s)". */
  readonly description: string;
}

/** One `AWS::Lambda::Function` of the synthesized app, as `tributary invoke --list` shows it. */
export interface FunctionEntry {
  readonly resource: TemplateResource;
  /** The construct path without the trailing `/Resource`, e.g. `Tributary-dev/Producer/Handler/Function`. */
  readonly path: string;
  readonly logicalId: string;
  /** The local function name. */
  readonly name: string;
  /** `Handler` of the template, e.g. `index.handler`. */
  readonly handler: string;
  readonly sources: readonly EventSourceInfo[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function sameFunction(fn: TemplateResource, reference: unknown): boolean {
  const value = text(reference)?.replace(/:(\$LATEST|\d+)$/, '');
  return value !== undefined && (value === fn.physicalName || value === fn.arn || value === fn.ref);
}

/** Safe property read: the catalog only describes; a broken resource must not hide the others. */
function propertiesOf(resource: TemplateResource): Record<string, unknown> {
  try {
    const props: unknown = resource.properties();
    return isRecord(props) ? props : {};
  } catch {
    return {};
  }
}

function sourcesOf(assembly: CloudAssembly, fn: TemplateResource): EventSourceInfo[] {
  const sources: EventSourceInfo[] = [];
  for (const mapping of assembly.resources('AWS::Lambda::EventSourceMapping')) {
    const p = propertiesOf(mapping);
    if (!sameFunction(fn, p.FunctionName)) continue;
    const arn = text(p.EventSourceArn) ?? '';
    const stream = /:kinesis:[^:]+:\d+:stream\/([^/]+)/.exec(arn)?.[1];
    const topics = Array.isArray(p.Topics) ? p.Topics.join(', ') : undefined;
    const tumbling = typeof p.TumblingWindowInSeconds === 'number' ? p.TumblingWindowInSeconds : 0;
    const settings = [
      `batch ${String(p.BatchSize ?? 100)}`,
      `batching window ${String(p.MaximumBatchingWindowInSeconds ?? 0)} s`,
      ...(tumbling > 0 ? [`tumbling window ${tumbling} s`] : []),
    ].join(', ');
    sources.push(
      stream
        ? {
            kind: tumbling > 0 ? 'kinesis-tumbling-window' : 'kinesis',
            description: `Kinesis ${stream} (${settings})`,
          }
        : /:kafka:[^:]+:\d+:cluster\//.test(arn)
          ? { kind: 'msk', description: `Amazon MSK topic ${topics ?? '?'} (${settings})` }
          : { kind: 'unknown', description: `event source mapping of ${arn || 'an unknown source'}` },
    );
  }
  for (const url of assembly.resources('AWS::Lambda::Url')) {
    const p = propertiesOf(url);
    if (sameFunction(fn, p.TargetFunctionArn)) {
      sources.push({ kind: 'function-url', description: `function URL (auth ${text(p.AuthType) ?? '?'})` });
    }
  }
  for (const rule of assembly.resources('AWS::Events::Rule')) {
    const p = propertiesOf(rule);
    const targets: unknown[] = Array.isArray(p.Targets) ? p.Targets : [];
    const hit = targets.some((t) => isRecord(t) && sameFunction(fn, t.Arn));
    if (hit) {
      const schedule = text(p.ScheduleExpression);
      sources.push(
        schedule
          ? { kind: 'scheduled', description: `EventBridge schedule ${schedule}` }
          : { kind: 'unknown', description: `EventBridge rule ${rule.logicalId}` },
      );
    }
  }
  return sources;
}

/** Every function of the app with its event sources, in template order. */
export function listFunctions(assembly: CloudAssembly): FunctionEntry[] {
  return assembly.resources('AWS::Lambda::Function').map((resource) => ({
    resource,
    path: (resource.constructPath ?? `${resource.stackName}/${resource.logicalId}`).replace(
      /\/Resource$/,
      '',
    ),
    logicalId: resource.logicalId,
    name: resource.physicalName,
    handler: text(propertiesOf(resource).Handler) ?? 'index.handler',
    sources: sourcesOf(assembly, resource),
  }));
}

/**
 * The names a function answers to: logical id, local name, ARN, construct path (with or without
 * the stack name, with or without the trailing `/Function` that NodejsFunction wrappers add).
 */
function aliases(entry: FunctionEntry): Set<string> {
  const withoutStack = entry.path.split('/').slice(1).join('/');
  const names = [entry.logicalId, entry.name, entry.resource.arn, entry.path, withoutStack];
  for (const path of [entry.path, withoutStack]) {
    if (path.endsWith('/Function')) names.push(path.slice(0, -'/Function'.length));
  }
  return new Set(names.filter((n) => n !== ''));
}

/**
 * The one function `query` names (see the aliases above). Throws {@link UnknownFunctionError}
 * listing the known functions when none or several match.
 */
export function findFunction(entries: readonly FunctionEntry[], query: string): FunctionEntry {
  const matches = entries.filter((e) => aliases(e).has(query));
  if (matches.length === 1 && matches[0]) return matches[0];
  const known = entries.map((e) => `  ${e.path}  (${e.logicalId})`).join('\n');
  if (matches.length > 1) {
    throw new UnknownFunctionError(
      `${JSON.stringify(query)} names ${matches.length} functions (${matches.map((m) => m.path).join(', ')}); use a construct path or logical id:\n${known}`,
    );
  }
  throw new UnknownFunctionError(
    `unknown function ${JSON.stringify(query)}; the synthesized app has ${entries.length === 0 ? 'no functions' : `these (construct path, logical id):\n${known}`}`,
  );
}
