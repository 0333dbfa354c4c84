/**
 * `Date.parse` for ISO 8601 date-times, with a fast path for the shape producers write
 * (`YYYY-MM-DDTHH:MM:SS[.sss](Z|±HH:MM)`): the taxi pipeline reads three per record, and V8's
 * general parser costs about as much as validating the rest of the record. Any other text (and any
 * field out of range) goes to `Date.parse` itself, so the answer is always Date.parse's.
 */
export function parseIsoTime(text: string): number {
  const fast = readIsoTime(text);
  return Number.isNaN(fast) ? Date.parse(text) : fast;
}

/**
 * The fast path of {@link parseIsoTime} alone: epoch ms of a date-time in the producers' shape
 * with every field in range, NaN for any other text (which Date.parse may still read). A text it
 * reads is also one zod's `z.iso.datetime({ offset: true })` accepts (a unit test holds it to that).
 */
export function readIsoTime(text: string): number {
  const n = text.length;
  // 20: ...SSZ, 24: ...SS.sssZ, 25: ...SS+HH:MM, 29: ...SS.sss+HH:MM
  if (n !== 20 && n !== 24 && n !== 25 && n !== 29) return Number.NaN;
  if (
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58
  ) {
    return Number.NaN;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === 46) {
    ms = digits(text, at + 1, 3);
    at += 4;
  }
  let offset = 0;
  const zone = text.charCodeAt(at);
  if (zone === 90 && at + 1 === n) {
    // Z
  } else if ((zone === 43 || zone === 45) && at + 6 === n && text.charCodeAt(at + 3) === 58) {
    const oh = digits(text, at + 1, 2);
    const om = digits(text, at + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return Number.NaN;
    offset = (zone === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
  } else {
    return Number.NaN;
  }
  if (
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    ms < 0
  ) {
    return Number.NaN;
  }
  return (
    daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + ms - offset
  );
}

/** The decimal number in `count` characters from `at`, or -1 when one is not a digit. */
function digits(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
