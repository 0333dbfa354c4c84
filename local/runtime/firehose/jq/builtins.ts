import type { JqNode, JsonValue } from './ast.js';
import { JqRuntimeError } from './errors.js';
import { gmtime, mktime, strftime, strptime } from './time.js';
import { compare, describeValue, formatNumber, isObject, toJson, toText, truthy, typeOf } from './values.js';

type Evaluate = (node: JqNode, input: JsonValue) => JsonValue[];
type Builtin = (input: JsonValue, args: readonly JqNode[], evaluate: Evaluate) => JsonValue[];

/** A builtin of one value: `f` with no arguments, applied to the input. */
function unary(fn: (input: JsonValue) => JsonValue): Builtin {
  return (input) => [fn(input)];
}

/** A builtin whose single argument is evaluated against the input, one output per argument value. */
function withArgument(fn: (input: JsonValue, arg: JsonValue) => JsonValue): Builtin {
  return (input, args, evaluate) => evaluate(args[0] as JqNode, input).map((arg) => fn(input, arg));
}

function requireNumber(value: JsonValue): number {
  if (typeof value !== 'number') throw new JqRuntimeError(`${describeValue(value)} number required`);
  return value;
}

function requireString(name: string, value: JsonValue, what = 'input'): string {
  if (typeof value !== 'string') throw new JqRuntimeError(`${name} ${what} must be a string`);
  return value;
}

function length(value: JsonValue): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') throw new JqRuntimeError(`${describeValue(value)} has no length`);
  if (typeof value === 'number') return Math.abs(value);
  if (typeof value === 'string') return [...value].length;
  return Array.isArray(value) ? value.length : Object.keys(value).length;
}

function tonumber(value: JsonValue): number {
  if (typeof value === 'number') return value;
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (Number.isNaN(parsed)) throw new JqRuntimeError(`Cannot parse '${toText(value)}' as JSON`);
  return parsed;
}

function keys(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((_, i) => i);
  if (isObject(value)) return Object.keys(value).sort();
  throw new JqRuntimeError(`${describeValue(value)} has no keys`);
}

function has(value: JsonValue, key: JsonValue): boolean {
  if (isObject(value) && typeof key === 'string') return Object.hasOwn(value, key);
  if (Array.isArray(value) && typeof key === 'number') return key >= 0 && key < value.length;
  throw new JqRuntimeError(`Cannot check whether ${typeOf(value)} has a ${typeOf(key)} key`);
}

function math(fn: (x: number) => number): Builtin {
  return unary((value) => fn(requireNumber(value)));
}

function fromjson(value: JsonValue): JsonValue {
  const text = requireString('fromjson', value);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new JqRuntimeError(`${text} (while parsing '${text}')`);
  }
}

function aggregate(value: JsonValue, pick: (a: JsonValue, b: JsonValue) => boolean): JsonValue {
  if (!Array.isArray(value)) throw new JqRuntimeError(`Cannot index ${typeOf(value)} with number`);
  return value.reduce<JsonValue>((best, x, i) => (i === 0 || pick(x, best) ? x : best), null);
}

function join(value: JsonValue, separator: JsonValue): string {
  if (!Array.isArray(value)) throw new JqRuntimeError(`Cannot iterate over ${typeOf(value)}`);
  const sep = requireString('join', separator, 'separator');
  return value
    .map((x) => {
      if (x === null) return '';
      if (typeof x === 'object') throw new JqRuntimeError(`Cannot join with ${typeOf(x)}`);
      return typeof x === 'number' ? formatNumber(x) : String(x);
    })
    .join(sep);
}

/** The builtins a Firehose partitioning query uses, keyed `name/arity` as jq reports them. */
export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['empty/0', () => []],
  ['not/0', unary((v) => !truthy(v))],
  ['length/0', unary(length)],
  ['type/0', unary(typeOf)],
  ['keys/0', unary(keys)],
  ['has/1', withArgument(has)],
  ['tostring/0', unary(toText)],
  ['tonumber/0', unary(tonumber)],
  ['tojson/0', unary(toJson)],
  ['fromjson/0', unary(fromjson)],
  [
    'ascii_downcase/0',
    unary((v) => requireString('ascii_downcase', v).replace(/[A-Z]/g, (c) => c.toLowerCase())),
  ],
  [
    'ascii_upcase/0',
    unary((v) => requireString('ascii_upcase', v).replace(/[a-z]/g, (c) => c.toUpperCase())),
  ],
  [
    'ltrimstr/1',
    withArgument((v, s) =>
      typeof v === 'string' && typeof s === 'string' && v.startsWith(s) ? v.slice(s.length) : v,
    ),
  ],
  [
    'rtrimstr/1',
    withArgument((v, s) =>
      typeof v === 'string' && typeof s === 'string' && v.endsWith(s) && s !== '' ? v.slice(0, -s.length) : v,
    ),
  ],
  [
    'startswith/1',
    withArgument((v, s) =>
      requireString('startswith()', v, 'inputs').startsWith(requireString('startswith()', s, 'inputs')),
    ),
  ],
  [
    'endswith/1',
    withArgument((v, s) =>
      requireString('endswith()', v, 'inputs').endsWith(requireString('endswith()', s, 'inputs')),
    ),
  ],
  [
    'split/1',
    withArgument((v, s) =>
      requireString('split', v) === '' ? [] : (v as string).split(requireString('split', s, 'separator')),
    ),
  ],
  ['join/1', withArgument(join)],
  [
    'test/1',
    withArgument((v, re) => new RegExp(requireString('test', re, 'regex')).test(requireString('test', v))),
  ],
  ['floor/0', math(Math.floor)],
  ['ceil/0', math(Math.ceil)],
  ['round/0', math(Math.round)],
  ['sqrt/0', math(Math.sqrt)],
  ['fabs/0', math(Math.abs)],
  ['min/0', unary((v) => aggregate(v, (x, best) => compare(x, best) < 0))],
  ['max/0', unary((v) => aggregate(v, (x, best) => compare(x, best) >= 0))],
  [
    'add/0',
    unary((v) =>
      Array.isArray(v) ? v.reduce<JsonValue>((sum, x) => (sum === null ? x : plus(sum, x)), null) : v,
    ),
  ],
  [
    'select/1',
    (input, args, evaluate) =>
      evaluate(args[0] as JqNode, input)
        .filter(truthy)
        .map(() => input),
  ],
  ['map/1', (input, args, evaluate) => [iterateAll(input).flatMap((x) => evaluate(args[0] as JqNode, x))]],
  ['recurse/0', (input) => recurse(input)],
  [
    'error/1',
    withArgument((_, message) => {
      throw new JqRuntimeError(toText(message));
    }),
  ],
  ['now/0', () => [Date.now() / 1000]],
  ['gmtime/0', unary((v) => gmtime(requireNumber(v)))],
  ['mktime/0', unary(mktime)],
  ['strftime/1', withArgument(strftime)],
  ['strptime/1', withArgument(strptime)],
  ['todate/0', unary((v) => strftime(v, '%Y-%m-%dT%H:%M:%SZ'))],
  ['todateiso8601/0', unary((v) => strftime(v, '%Y-%m-%dT%H:%M:%SZ'))],
  ['fromdate/0', unary((v) => mktime(strptime(v, '%Y-%m-%dT%H:%M:%SZ')))],
  ['fromdateiso8601/0', unary((v) => mktime(strptime(v, '%Y-%m-%dT%H:%M:%SZ')))],
]);

function plus(a: JsonValue, b: JsonValue): JsonValue {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (isObject(a) && isObject(b)) return { ...a, ...b };
  if (b === null) return a;
  throw new JqRuntimeError(`${describeValue(a)} and ${describeValue(b)} cannot be added`);
}

function iterateAll(value: JsonValue): JsonValue[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  throw new JqRuntimeError(`Cannot iterate over ${typeOf(value)}`);
}

function recurse(value: JsonValue): JsonValue[] {
  const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : [];
  return [value, ...children.flatMap(recurse)];
}
