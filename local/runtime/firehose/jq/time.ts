import { DAYS, MONTHS } from '../calendar-names.js';
import type { JsonValue } from './ast.js';
import { JqRuntimeError } from './errors.js';

/** jq's broken-down time: [year, month 0-11, day, hours, minutes, seconds (fractional), weekday, yearday]. */
export type BrokenDownTime = [number, number, number, number, number, number, number, number];

/** `gmtime`: seconds since the epoch (fractional allowed) to broken-down UTC time. */
export function gmtime(seconds: number): BrokenDownTime {
  const whole = Math.trunc(seconds);
  const date = new Date(whole * 1000);
  if (Number.isNaN(date.getTime()))
    throw new JqRuntimeError('errror converting number of seconds since epoch to datetime');
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const yday = Math.floor((date.getTime() - yearStart) / 86_400_000);
  return [
    date.getUTCFullYear(),
    date.getUTCMonth(),
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    date.getUTCSeconds() + (seconds - Math.floor(seconds)),
    date.getUTCDay(),
    yday,
  ];
}

/** `mktime`: broken-down UTC time to whole seconds since the epoch. */
export function mktime(input: JsonValue): number {
  const tm = toBrokenDown(input, 'mktime requires array of 6 numbers');
  return Math.floor(Date.UTC(tm[0], tm[1], tm[2], tm[3], tm[4], Math.trunc(tm[5])) / 1000);
}

function toBrokenDown(input: JsonValue, message: string): BrokenDownTime {
  if (!Array.isArray(input) || input.length < 6 || !input.every((v) => typeof v === 'number')) {
    throw new JqRuntimeError(message);
  }
  const n = input as number[];
  return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0, n[3] ?? 0, n[4] ?? 0, n[5] ?? 0, n[6] ?? 0, n[7] ?? 0];
}

/** `strftime(fmt)` with C/glibc conversions in the C locale, on a number (seconds) or broken-down time. */
export function strftime(input: JsonValue, format: JsonValue): string {
  if (typeof format !== 'string') throw new JqRuntimeError('strftime/1 requires a string format');
  const message = 'strftime/1 requires parsed datetime inputs';
  const tm = typeof input === 'number' ? gmtime(input) : toBrokenDown(input, message);
  return format.replace(/%([%a-zA-Z+])/g, (whole, spec: string) => conversion(tm, spec) ?? whole);
}

function pad(value: number, width: number, fill = '0'): string {
  return String(value).padStart(width, fill);
}

function conversion(tm: BrokenDownTime, spec: string): string | undefined {
  const [year, month, day, hours, minutes, rawSeconds, wday, yday] = tm;
  const seconds = Math.trunc(rawSeconds);
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  switch (spec) {
    case 'a':
      return DAYS[wday]?.slice(0, 3) ?? '?';
    case 'A':
      return DAYS[wday] ?? '?';
    case 'b':
    case 'h':
      return MONTHS[month]?.slice(0, 3) ?? '?';
    case 'B':
      return MONTHS[month] ?? '?';
    case 'c':
      return ['a', 'b', 'e', 'T', 'Y'].map((s) => conversion(tm, s)).join(' ');
    case 'C':
      return pad(Math.floor(year / 100), 2);
    case 'd':
      return pad(day, 2);
    case 'D':
      return `${pad(month + 1, 2)}/${pad(day, 2)}/${pad(year % 100, 2)}`;
    case 'e':
      return pad(day, 2, ' ');
    case 'F':
      return `${year}-${pad(month + 1, 2)}-${pad(day, 2)}`;
    case 'H':
      return pad(hours, 2);
    case 'I':
      return pad(hour12, 2);
    case 'j':
      return pad(yday + 1, 3);
    case 'k':
      return pad(hours, 2, ' ');
    case 'l':
      return pad(hour12, 2, ' ');
    case 'm':
      return pad(month + 1, 2);
    case 'M':
      return pad(minutes, 2);
    case 'n':
      return '\n';
    case 'p':
      return hours < 12 ? 'AM' : 'PM';
    case 'P':
      return hours < 12 ? 'am' : 'pm';
    case 'r':
      return `${pad(hour12, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)} ${hours < 12 ? 'AM' : 'PM'}`;
    case 'R':
      return `${pad(hours, 2)}:${pad(minutes, 2)}`;
    case 's':
      return String(Math.floor(Date.UTC(year, month, day, hours, minutes, seconds) / 1000));
    case 'S':
      return pad(seconds, 2);
    case 't':
      return '\t';
    case 'T':
    case 'X':
      return `${pad(hours, 2)}:${pad(minutes, 2)}:${pad(seconds, 2)}`;
    case 'u':
      return String(wday === 0 ? 7 : wday);
    case 'w':
      return String(wday);
    case 'x':
      return conversion(tm, 'D');
    case 'y':
      return pad(year % 100, 2);
    case 'Y':
      return String(year);
    case 'z':
      return '+0000';
    case 'Z':
      return 'UTC';
    case '%':
      return '%';
    default:
      return undefined;
  }
}

/** `strptime(fmt)` for the numeric conversions (%Y %m %d %H %M %S %j %e %T %F) and %Z/%z as UTC. */
export function strptime(input: JsonValue, format: JsonValue): BrokenDownTime {
  if (typeof input !== 'string' || typeof format !== 'string') {
    throw new JqRuntimeError('strptime/1 requires string inputs and arguments');
  }
  const fields = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  const expanded = format.replace(/%T/g, '%H:%M:%S').replace(/%F/g, '%Y-%m-%d');
  let pos = 0;
  for (let i = 0; i < expanded.length; i++) {
    const ch = expanded[i];
    if (ch !== '%') {
      if (input[pos] !== ch) throw parseFailure(input, format);
      pos++;
      continue;
    }
    const spec = expanded[++i] ?? '';
    if (spec === 'Z' || spec === 'z') {
      const match = /^(?:Z|UTC|GMT|[+-]\d{4})/.exec(input.slice(pos));
      if (match === null) throw parseFailure(input, format);
      pos += match[0].length;
      continue;
    }
    const match = /^ ?\d{1,4}/.exec(input.slice(pos));
    if (match === null || !(spec in fields || spec === 'e' || spec === 'j'))
      throw parseFailure(input, format);
    pos += match[0].length;
    const key = spec === 'e' ? 'd' : spec;
    if (key in fields) fields[key as keyof typeof fields] = Number(match[0]);
  }
  if (pos !== input.length) throw parseFailure(input, format);
  return gmtime(Date.UTC(fields.Y, fields.m - 1, fields.d, fields.H, fields.M, fields.S) / 1000);
}

function parseFailure(input: string, format: string): JqRuntimeError {
  return new JqRuntimeError(`date "${input}" does not match format "${format}"`);
}
