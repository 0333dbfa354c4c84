import { DAYS, MONTHS } from './calendar-names.js';
import { FirehoseConfigError } from './errors.js';

type Field =
  | 'year'
  | 'month'
  | 'day'
  | 'dayOfYear'
  | 'hour'
  | 'minute'
  | 'second'
  | 'millisecond'
  | 'weekday';
type Piece = { readonly literal: string } | { readonly letter: string; readonly width: number };

/** Calendar fields of one instant in one time zone. */
export type ZonedFields = Readonly<Record<Field, number>>;

const SUPPORTED = 'yuMLdDHhkKmsSaE';

/**
 * Compiles a Java `DateTimeFormatter` pattern as Firehose's `!{timestamp:…}` uses it: the letters
 * y u M L d D H h k K m s S a E, literal text in single quotes (`''` is a quote), other
 * non-letters as they are. Other pattern letters (zones, weeks, eras) are rejected.
 */
export function compileTimestampPattern(pattern: string): (fields: ZonedFields) => string {
  const pieces = parsePattern(pattern);
  return (fields) =>
    pieces.map((piece) => ('literal' in piece ? piece.literal : render(piece, fields))).join('');
}

function parsePattern(pattern: string): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] ?? '';
    if (ch === "'") {
      const [literal, next] = readQuoted(pattern, i);
      pieces.push({ literal });
      i = next;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      if (!SUPPORTED.includes(ch)) {
        throw new FirehoseConfigError(
          `timestamp pattern ${JSON.stringify(pattern)} uses '${ch}'; the local Firehose supports the letters ${SUPPORTED}`,
        );
      }
      let width = 1;
      while (pattern[i + width] === ch) width++;
      pieces.push({ letter: ch, width });
      i += width;
      continue;
    }
    pieces.push({ literal: ch });
    i++;
  }
  return pieces;
}

/** Reads `'text'` from the quote at `open`; `''` is a quote, inside or outside quoted text. */
function readQuoted(pattern: string, open: number): [string, number] {
  if (pattern[open + 1] === "'") return ["'", open + 2];
  let text = '';
  let i = open + 1;
  while (i < pattern.length) {
    if (pattern[i] === "'") {
      if (pattern[i + 1] !== "'") return [text, i + 1];
      text += "'";
      i += 2;
      continue;
    }
    text += pattern[i];
    i++;
  }
  throw new FirehoseConfigError(`timestamp pattern ${JSON.stringify(pattern)} has an unclosed quote`);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function render(piece: { letter: string; width: number }, f: ZonedFields): string {
  const { letter, width } = piece;
  switch (letter) {
    case 'y':
    case 'u':
      return width === 2 ? pad(f.year % 100, 2) : pad(f.year, width);
    case 'M':
    case 'L':
      if (width === 3) return MONTHS[f.month - 1]?.slice(0, 3) ?? '';
      if (width >= 4) return MONTHS[f.month - 1] ?? '';
      return pad(f.month, width);
    case 'd':
      return pad(f.day, width);
    case 'D':
      return pad(f.dayOfYear, width);
    case 'H':
      return pad(f.hour, width);
    case 'k':
      return pad(f.hour === 0 ? 24 : f.hour, width);
    case 'h':
      return pad(f.hour % 12 === 0 ? 12 : f.hour % 12, width);
    case 'K':
      return pad(f.hour % 12, width);
    case 'm':
      return pad(f.minute, width);
    case 's':
      return pad(f.second, width);
    case 'S':
      return pad(f.millisecond, 3).padEnd(width, '0').slice(0, width);
    case 'a':
      return f.hour < 12 ? 'AM' : 'PM';
    default:
      return width >= 4 ? (DAYS[f.weekday] ?? '') : (DAYS[f.weekday]?.slice(0, 3) ?? '');
  }
}

/**
 * The calendar fields of an instant in `timeZone` (an IANA name, Firehose's CustomTimeZone; UTC when
 * absent).
 */
export function zonedFields(epochMs: number, timeZone = 'UTC'): ZonedFields {
  const shifted = new Date(epochMs + offsetMs(epochMs, timeZone));
  const yearStart = Date.UTC(shifted.getUTCFullYear(), 0, 1);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    dayOfYear: Math.floor((shifted.getTime() - yearStart) / 86_400_000) + 1,
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    second: shifted.getUTCSeconds(),
    millisecond: shifted.getUTCMilliseconds(),
    weekday: shifted.getUTCDay(),
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The formatter that gives an instant's fields in `timeZone`; refuses a name Intl does not know.
 * The template reader calls it so that a bad CustomTimeZone fails at start, not at the first write.
 */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new FirehoseConfigError(
        `CustomTimeZone must be an IANA time zone name (given ${JSON.stringify(timeZone)})`,
      );
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

function offsetMs(epochMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const formatter = zoneFormatter(timeZone);
  const parts = Object.fromEntries(
    formatter.formatToParts(new Date(epochMs)).map((p) => [p.type, Number(p.value)]),
  );
  const asUtc = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day,
    parts.hour,
    parts.minute,
    parts.second,
  );
  return asUtc - (epochMs - (epochMs % 1000));
}
