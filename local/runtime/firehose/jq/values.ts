import type { JsonValue } from './ast.js';
import { JqRuntimeError } from './errors.js';

export type JsonObject = { [key: string]: JsonValue };

/** JQ's type name: null, boolean, number, string, array, object. */
export function typeOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function isObject(value: JsonValue): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** JQ truthiness: everything but `false` and `null`. */
export function truthy(value: JsonValue): boolean {
  return value !== null && value !== false;
}

/**
 * Formats a number the way jq 1.6 does (its dtoa `g` format): shortest round-trip digits, fixed
 * notation unless the exponent is below -4 or more than 15 past the digits (`1e+16`, `1e-05`).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? '1.7976931348623157e+308' : '-1.7976931348623157e+308';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exponentText) + 1;
  const sign = value < 0 ? '-' : '';
  if (decpt <= -4 || decpt > digits.length + 15) {
    const exponent = decpt - 1;
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${rest}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/** `tojson`: compact JSON with jq's number format. */
export function toJson(value: JsonValue): string {
  if (typeof value === 'number') return formatNumber(value);
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `tostring`: strings unchanged, everything else as JSON. */
export function toText(value: JsonValue): string {
  return typeof value === 'string' ? value : toJson(value);
}

/** How jq quotes a value in error messages: `number (5)`, `object ({"a":1})`. */
export function describeValue(value: JsonValue): string {
  const json = toJson(value);
  return `${typeOf(value)} (${json.length > 11 ? `${json.slice(0, 10)}...` : json})`;
}

const ORDER = ['null', 'boolean', 'number', 'string', 'array', 'object'];

/** JQ's total order: null < false < true < numbers < strings < arrays < objects. */
export function compare(a: JsonValue, b: JsonValue): number {
  const ta = ORDER.indexOf(typeOf(a));
  const tb = ORDER.indexOf(typeOf(b));
  if (ta !== tb) return ta - tb;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = compare(a[i] ?? null, b[i] ?? null);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (isObject(a) && isObject(b)) {
    const keys = compare(Object.keys(a).sort(), Object.keys(b).sort());
    if (keys !== 0) return keys;
    for (const key of Object.keys(a).sort()) {
      const c = compare(a[key] ?? null, b[key] ?? null);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** `.[key]` on one value, with jq's null propagation and error messages. */
export function indexValue(target: JsonValue, key: JsonValue): JsonValue {
  if (typeof key === 'string' && (target === null || isObject(target))) return target?.[key] ?? null;
  if (typeof key === 'number' && (target === null || Array.isArray(target))) {
    if (target === null) return null;
    const i = Math.floor(key);
    return target[i < 0 ? target.length + i : i] ?? null;
  }
  if (key === null && isObject(target)) throw new JqRuntimeError('Cannot index object with null');
  const keyText = typeof key === 'string' ? `string ${JSON.stringify(key)}` : typeOf(key);
  throw new JqRuntimeError(`Cannot index ${typeOf(target)} with ${keyText}`);
}

/** The binary operators `+ - * / %` with jq 1.6's type rules. */
export function arithmetic(operator: string, a: JsonValue, b: JsonValue): JsonValue {
  if (typeof a === 'number' && typeof b === 'number') {
    if (operator === '+') return a + b;
    if (operator === '-') return a - b;
    if (operator === '*') return a * b;
    if (operator === '/') {
      if (b === 0) throw cannot(a, b, 'divided because the divisor is zero');
      return a / b;
    }
    const divisor = Math.trunc(b);
    if (divisor === 0) throw cannot(a, b, 'divided because the divisor is zero');
    return Math.trunc(a) % divisor;
  }
  if (operator === '+') {
    if (a === null) return b;
    if (b === null) return a;
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (isObject(a) && isObject(b)) return { ...a, ...b };
    throw cannot(a, b, 'added');
  }
  if (operator === '-' && Array.isArray(a) && Array.isArray(b)) {
    return a.filter((x) => !b.some((y) => compare(x, y) === 0));
  }
  if (operator === '*') {
    const [text, times] = typeof a === 'string' ? [a, b] : [b, a];
    if (typeof text === 'string' && typeof times === 'number')
      return times > 0 ? text.repeat(Math.ceil(times)) : null;
    if (isObject(a) && isObject(b)) return deepMerge(a, b);
  }
  if (operator === '/' && typeof a === 'string' && typeof b === 'string') return a === '' ? [] : a.split(b);
  const verbs: Record<string, string> = {
    '-': 'subtracted',
    '*': 'multiplied',
    '/': 'divided',
    '%': 'divided',
  };
  throw cannot(a, b, verbs[operator] ?? operator);
}

function cannot(a: JsonValue, b: JsonValue, verb: string): JqRuntimeError {
  return new JqRuntimeError(`${describeValue(a)} and ${describeValue(b)} cannot be ${verb}`);
}

function deepMerge(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    out[key] =
      existing !== undefined && isObject(existing) && isObject(value) ? deepMerge(existing, value) : value;
  }
  return out;
}
