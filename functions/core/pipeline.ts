import { z } from 'zod';
import {
  avgAggregate,
  countAggregate,
  firstAggregate,
  lastAggregate,
  maxAggregate,
  minAggregate,
  sumAggregate,
} from './aggregations.js';
import { distinctAggregate } from './distinct-aggregate.js';
import { createWindowEngine, type WindowEngine } from './engine/window-engine.js';
import { PipelineDefinitionError } from './errors.js';
import type { AggregateFunction, EmitMode, KeyedRecord, WindowSpec } from './types.js';
import { validateWindowSpec } from './window-spec.js';

/** How one output column is computed from a window's events. */
export type AggregationSpec<E> =
  | { fn: 'count' }
  | { fn: 'sum' | 'min' | 'max' | 'avg'; field: (event: E) => number }
  | { fn: 'first' | 'last'; field: (event: E) => unknown }
  /** Distinct count. */
  | { fn: 'distinct'; field: (event: E) => string | number }
  // biome-ignore lint/suspicious/noExplicitAny: a user aggregation's accumulator and result are its own
  | { fn: 'custom'; aggregate: AggregateFunction<E, any, any> };

/** A pipeline, declared once; infra, handlers and the local runtime all read it. */
export interface PipelineConfig<S extends z.ZodType> {
  /** kebab-case: used in resource names and S3 prefixes. */
  name: string;
  description: string;
  /** One event. */
  schema: S;
  /** Raw record text -> candidate event. @default JSON.parse */
  decode?: (text: string) => unknown;
  key: (event: z.output<S>) => string;
  /** Event time, epoch ms. */
  eventTime: (event: z.output<S>) => number;
  /** @default 'event' */
  timeSource?: 'event' | 'arrival';
  /**
   * A hand-written fast path tried before the schema, for pipelines whose validation costs as much
   * as their windowing. It must return exactly what the schema would output (the candidate itself
   * when it is already in that form) with `ts` = `eventTime(event)`, or undefined to decline; a
   * declined candidate goes to the schema, so refused events get the schema's reasons. Event time
   * only. @default none (the schema validates every event)
   */
  read?: EventReader<z.output<S>>;
  window: WindowSpec;
  /** @default 'final' */
  emit?: EmitMode;
  /** Output column name -> aggregation. Names are identifiers (they become warehouse columns). */
  aggregations: Record<string, AggregationSpec<z.output<S>>>;
}

/** A pipeline's fast path: the event and its event time, or undefined to decline (see `PipelineConfig.read`). */
export type EventReader<E> = (candidate: unknown) => { readonly event: E; readonly ts: number } | undefined;

/** One record's text turned into an event, or the reason it cannot be. */
export type ParseOutcome<E> =
  | { readonly ok: true; readonly event: E; readonly key: string; readonly ts: number }
  | { readonly ok: false; readonly reason: string };

/** A validated pipeline definition with the helpers every runtime needs. */
export interface Pipeline<S extends z.ZodType> {
  readonly config: Readonly<PipelineConfig<S>>;
  readonly name: string;
  readonly window: WindowSpec;
  readonly emit: EmitMode;
  readonly timeSource: 'event' | 'arrival';
  /**
   * Decodes and validates one record. `arrivalTime` (epoch ms) is the record's arrival at the
   * stream; it is required when the pipeline uses arrival time.
   */
  parse(text: string, arrivalTime?: number): ParseOutcome<z.output<S>>;
  /**
   * Validates an already-decoded candidate event (schema, key, event time): `parse` without the
   * decode step, for events that arrive as data (an envelope's `event`, a JSON body's item).
   */
  parseEvent(candidate: unknown, arrivalTime?: number): ParseOutcome<z.output<S>>;
  /** The aggregations as engine aggregate functions, by column name. */
  aggregateFunctions(): Record<string, AggregateFunction<z.output<S>, unknown, unknown>>;
  /** A windowing engine for one partition (shard) of this pipeline. */
  createEngine(options?: { readonly emit?: EmitMode }): WindowEngine;
}

/** Any pipeline definition, whatever its schema (what the runtimes and the infra handle). */
export type AnyPipeline = Pipeline<z.ZodType>;

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function toAggregateFunction<E>(
  name: string,
  spec: AggregationSpec<E>,
): AggregateFunction<E, unknown, unknown> {
  switch (spec.fn) {
    case 'count':
      return countAggregate();
    case 'sum':
      return sumAggregate(spec.field);
    case 'min':
      return minAggregate(spec.field);
    case 'max':
      return maxAggregate(spec.field);
    case 'avg':
      return avgAggregate(spec.field);
    case 'first':
      return firstAggregate(spec.field);
    case 'last':
      return lastAggregate(spec.field);
    case 'distinct':
      return distinctAggregate(spec.field);
    case 'custom': {
      const a = spec.aggregate;
      for (const method of ['init', 'add', 'merge', 'result'] as const) {
        if (typeof a?.[method] !== 'function') {
          throw new PipelineDefinitionError(
            `aggregation ${name}: custom aggregate needs a ${method}() function`,
          );
        }
      }
      return a;
    }
    default:
      throw new PipelineDefinitionError(
        `aggregation ${name}: fn must be count, sum, min, max, avg, first, last, distinct or custom (given ${describe((spec as { fn?: unknown }).fn)})`,
      );
  }
}

/** Validates a pipeline definition (throws PipelineDefinitionError / InvalidSpecError) and adds its helpers. */
export function definePipeline<S extends z.ZodType>(config: PipelineConfig<S>): Pipeline<S> {
  if (!NAME.test(config.name) || config.name.length > 40) {
    throw new PipelineDefinitionError(
      `pipeline name must be kebab-case, 1-40 characters, e.g. "taxi-rides" (given ${describe(config.name)})`,
    );
  }
  if (config.description.trim() === '') {
    throw new PipelineDefinitionError(`pipeline ${config.name}: description must not be empty`);
  }
  const window = validateWindowSpec(config.window);
  const columns = Object.keys(config.aggregations);
  if (columns.length === 0)
    throw new PipelineDefinitionError(`pipeline ${config.name}: needs at least one aggregation`);
  const functions: Record<string, AggregateFunction<z.output<S>, unknown, unknown>> = {};
  for (const column of columns) {
    if (!COLUMN.test(column)) {
      throw new PipelineDefinitionError(
        `pipeline ${config.name}: aggregation names must be identifiers such as "trip_count" (given ${describe(column)})`,
      );
    }
    functions[column] = toAggregateFunction(
      column,
      config.aggregations[column] as AggregationSpec<z.output<S>>,
    );
  }
  const emit = config.emit ?? 'final';
  const timeSource = config.timeSource ?? 'event';
  const read = config.read;
  if (read && timeSource !== 'event') {
    throw new PipelineDefinitionError(
      `pipeline ${config.name}: read needs event time (timeSource 'event', given ${describe(timeSource)})`,
    );
  }
  const decode = config.decode ?? JSON.parse;
  // zod's ahead-of-time compiled parser: same schema, same accepted set and errors (a rejected
  // value is re-run through the ordinary parser for its issues), about 2.5x faster on the taxi
  // schema. A schema it cannot model comes back unchanged.
  const schema = z.compile(config.schema);

  // The key and time rules every event is held to, whichever of read or the schema validated it.
  const withKeyAndTime = (
    event: z.output<S>,
    readTs: number | undefined,
    arrivalTime: number | undefined,
  ): ParseOutcome<z.output<S>> => {
    let key: unknown;
    let ts: unknown;
    try {
      key = config.key(event);
      ts = readTs ?? (timeSource === 'arrival' ? arrivalTime : config.eventTime(event));
    } catch (error) {
      return { ok: false, reason: `key or event time could not be read: ${(error as Error).message}` };
    }
    if (typeof key !== 'string' || key === '') {
      return { ok: false, reason: `key must be a non-empty string (given ${describe(key)})` };
    }
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
      const what = timeSource === 'arrival' ? 'arrival time' : 'event time';
      return { ok: false, reason: `${what} must be a whole number of epoch ms >= 0 (given ${describe(ts)})` };
    }
    return { ok: true, event, key, ts };
  };

  const parseEvent = (candidate: unknown, arrivalTime?: number): ParseOutcome<z.output<S>> => {
    const found = read?.(candidate);
    if (found !== undefined) return withKeyAndTime(found.event, found.ts, arrivalTime);
    const parsed = schema.safeParse(candidate);
    if (!parsed.success) {
      return {
        ok: false,
        reason: `does not match the ${config.name} schema: ${z.prettifyError(parsed.error)}`,
      };
    }
    return withKeyAndTime(parsed.data, undefined, arrivalTime);
  };

  const parse = (text: string, arrivalTime?: number): ParseOutcome<z.output<S>> => {
    let candidate: unknown;
    try {
      candidate = decode(text);
    } catch (error) {
      return { ok: false, reason: `cannot decode ${describe(text)}: ${(error as Error).message}` };
    }
    return parseEvent(candidate, arrivalTime);
  };

  return {
    config,
    name: config.name,
    window,
    emit,
    timeSource,
    parse,
    parseEvent,
    aggregateFunctions: () => ({ ...functions }),
    createEngine: (options) =>
      createWindowEngine({ window, aggregations: functions, emit: options?.emit ?? emit }),
  };
}

/** The engine record for a parsed event. */
export function toKeyedRecord<E>(parsed: {
  readonly event: E;
  readonly key: string;
  readonly ts: number;
}): KeyedRecord<E> {
  return { key: parsed.key, ts: parsed.ts, value: parsed.event };
}
