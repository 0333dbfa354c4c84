import { randomInt } from 'node:crypto';
import { FirehoseConfigError } from './errors.js';
import { compileTimestampPattern, type ZonedFields } from './timestamp-format.js';

/** Why a record went to the error output: the value of `!{firehose:error-output-type}`. */
export type ErrorOutputType = 'processing-failed' | 'format-conversion-failed';

/** What a prefix is evaluated with when an object is written. */
export interface PrefixContext {
  /** Calendar fields of the oldest record's arrival in the object (Firehose's rule). */
  readonly arrival: ZonedFields;
  readonly partitionKeys?: Readonly<Record<string, string>>;
  readonly errorOutputType?: ErrorOutputType;
}

type Segment =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'timestamp'; readonly format: (fields: ZonedFields) => string }
  | { readonly kind: 'partitionKey'; readonly name: string }
  | { readonly kind: 'errorOutputType' }
  | { readonly kind: 'randomString' };

/** A parsed S3 prefix with `!{namespace:value}` expressions. */
export interface CompiledPrefix {
  readonly source: string;
  /** Names used with `!{partitionKeyFromQuery:…}`. */
  readonly partitionKeys: readonly string[];
  readonly hasExpressions: boolean;
  /** Whether it has a `!{timestamp:…}` expression (without one, Firehose appends its time prefix). */
  readonly hasTimestamp: boolean;
  readonly hasErrorOutputType: boolean;
  evaluate(context: PrefixContext): string;
}

const DEFAULT_TIME_PREFIX = '!{timestamp:yyyy/MM/dd/HH}/';
const RANDOM_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * Parses a Prefix or ErrorOutputPrefix. `!{partitionKeyFromLambda:…}` is refused: the local runtime
 * does not run Firehose transformation Lambdas.
 */
export function compilePrefix(source: string, role: 'Prefix' | 'ErrorOutputPrefix'): CompiledPrefix {
  const segments: Segment[] = [];
  const pattern = /!\{([^:}]*):([^}]*)\}/g;
  let last = 0;
  for (const match of source.matchAll(pattern)) {
    if (match.index > last) segments.push({ kind: 'text', text: source.slice(last, match.index) });
    segments.push(expression(match[1] ?? '', match[2] ?? '', source, role));
    last = match.index + match[0].length;
  }
  if (last < source.length) segments.push({ kind: 'text', text: source.slice(last) });
  const leftover = segments.find((s) => s.kind === 'text' && s.text.includes('!{'));
  if (leftover !== undefined) {
    throw new FirehoseConfigError(
      `${role} ${JSON.stringify(source)} has a malformed !{namespace:value} expression`,
    );
  }
  return {
    source,
    partitionKeys: segments.flatMap((s) => (s.kind === 'partitionKey' ? [s.name] : [])),
    hasExpressions: segments.some((s) => s.kind !== 'text'),
    hasTimestamp: segments.some((s) => s.kind === 'timestamp'),
    hasErrorOutputType: segments.some((s) => s.kind === 'errorOutputType'),
    evaluate: (context) => segments.map((s) => evaluateSegment(s, context, source)).join(''),
  };
}

function expression(namespace: string, value: string, source: string, role: string): Segment {
  const where = `${role} ${JSON.stringify(source)}`;
  switch (namespace) {
    case 'timestamp':
      return { kind: 'timestamp', format: compileTimestampPattern(value) };
    case 'partitionKeyFromQuery':
      if (role === 'ErrorOutputPrefix')
        throw new FirehoseConfigError(`${where}: partition keys are not allowed there`);
      return { kind: 'partitionKey', name: value };
    case 'partitionKeyFromLambda':
      throw new FirehoseConfigError(
        `${where} uses !{partitionKeyFromLambda:${value}}: partitioning by a transformation Lambda is not supported by the local Firehose (use MetadataExtraction with a JQ query)`,
      );
    case 'firehose':
      if (value === 'random-string') return { kind: 'randomString' };
      if (value === 'error-output-type') {
        if (role === 'Prefix')
          throw new FirehoseConfigError(
            `${where}: !{firehose:error-output-type} belongs in ErrorOutputPrefix`,
          );
        return { kind: 'errorOutputType' };
      }
      throw new FirehoseConfigError(
        `${where}: firehose namespace takes error-output-type or random-string (given ${value})`,
      );
    default:
      throw new FirehoseConfigError(
        `${where}: expected a namespace of timestamp, firehose, partitionKeyFromQuery, partitionKeyFromLambda (given ${JSON.stringify(namespace)})`,
      );
  }
}

function evaluateSegment(segment: Segment, context: PrefixContext, source: string): string {
  switch (segment.kind) {
    case 'text':
      return segment.text;
    case 'timestamp':
      return segment.format(context.arrival);
    case 'randomString':
      return Array.from({ length: 11 }, () => RANDOM_ALPHABET[randomInt(RANDOM_ALPHABET.length)]).join('');
    case 'errorOutputType':
      return context.errorOutputType ?? 'processing-failed';
    case 'partitionKey': {
      const value = context.partitionKeys?.[segment.name];
      if (value === undefined) throw new Error(`prefix ${source} needs partition key ${segment.name}`);
      return value;
    }
  }
}

/**
 * The prefixes as Firehose applies them (s3-prefixes.html, "prefix rules"): no Prefix means
 * `yyyy/MM/dd/HH/`; a Prefix without a timestamp expression gets that time prefix appended unless
 * dynamic partitioning is on; no ErrorOutputPrefix means `<Prefix><error-output-type>/yyyy/MM/dd/HH/`.
 * What Firehose refuses at creation is refused here too.
 */
export function effectivePrefixes(
  prefix: string | undefined,
  errorOutputPrefix: string | undefined,
  dynamicPartitioning: boolean,
): { data: CompiledPrefix; error: CompiledPrefix } {
  const noErrorPrefix = (errorOutputPrefix ?? '') === '';
  if (dynamicPartitioning && noErrorPrefix) {
    throw new FirehoseConfigError(
      'ErrorOutputPrefix is required when DynamicPartitioningConfiguration.Enabled is true',
    );
  }
  let data = compilePrefix(prefix ?? '', 'Prefix');
  // Refused by Firehose at creation, in its words: the default error prefix is built from Prefix.
  if (data.hasExpressions && noErrorPrefix) {
    throw new FirehoseConfigError(
      `ErrorOutputPrefix can't be null when Prefix contains expressions (Prefix ${JSON.stringify(prefix)})`,
    );
  }
  if (!dynamicPartitioning && data.partitionKeys.length > 0) {
    throw new FirehoseConfigError(
      `Prefix ${JSON.stringify(prefix)} uses partitionKeyFromQuery but DynamicPartitioningConfiguration is not enabled`,
    );
  }
  // Other expressions (random-string) do not count: only a timestamp expression replaces the default.
  if (!dynamicPartitioning && !data.hasTimestamp)
    data = compilePrefix(`${prefix ?? ''}${DEFAULT_TIME_PREFIX}`, 'Prefix');
  // Without ErrorOutputPrefix, errors go under Prefix (which then has no expressions: refused above).
  const errorSource = noErrorPrefix ? (prefix ?? '') : (errorOutputPrefix ?? '');
  let error = compilePrefix(errorSource, 'ErrorOutputPrefix');
  if (error.hasExpressions && !error.hasErrorOutputType) {
    throw new FirehoseConfigError(
      `ErrorOutputPrefix ${JSON.stringify(errorOutputPrefix)} has expressions, so it must include !{firehose:error-output-type}`,
    );
  }
  if (!error.hasExpressions) {
    error = compilePrefix(
      `${errorSource}!{firehose:error-output-type}/${DEFAULT_TIME_PREFIX}`,
      'ErrorOutputPrefix',
    );
  }
  return { data, error };
}
