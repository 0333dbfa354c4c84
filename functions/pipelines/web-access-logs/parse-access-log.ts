/**
 * A parser for the NCSA Common Log Format and Apache's Combined Log Format:
 *
 *   host ident authuser [dd/Mon/yyyy:HH:MM:SS +zzzz] "request" status bytes ["referer" "user-agent"]
 *
 * Robust in the ways real logs need: the request is whatever the client sent (the NASA logs hold
 * requests without a protocol, empty ones and binary junk), so it is kept raw and split into
 * method, path and protocol only where it has that shape; the line itself must have the format.
 */

/** One access log entry. `-` fields are left out. */
export interface AccessLogEntry {
  readonly host: string;
  readonly ident?: string;
  readonly user?: string;
  /** Request time, epoch ms (the zone offset applied). */
  readonly timeMs: number;
  /** The request line exactly as logged (without the quotes). */
  readonly request: string;
  /** Present when the request line starts with an HTTP method token. */
  readonly method?: string;
  readonly path?: string;
  /** Missing in HTTP/0.9 and malformed requests. */
  readonly protocol?: string;
  readonly status: number;
  /** Response body bytes; `-` (nothing sent) is 0. */
  readonly bytes: number;
  /** Combined Log Format only. */
  readonly referer?: string;
  readonly userAgent?: string;
}

/** The parse result: an entry, or a reason that says what was expected and what was found. */
export type ParseAccessLogResult =
  | { readonly ok: true; readonly entry: AccessLogEntry }
  | { readonly ok: false; readonly reason: string };

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

// host ident user [time] then the rest; the three first fields contain no spaces.
const HEAD = /^(\S+) (\S+) (\S+) \[([^\]]*)\] (.*)$/;
// The request is greedy so a stray quote inside it does not end it early; status and bytes anchor the end.
const COMMON_TAIL = /^"(.*)" (\d{3}) (\d+|-)$/;
// Referer and user agent are quoted with inner quotes escaped (Apache 2 writes \").
const COMBINED_TAIL = /^"(.*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;
const TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;
const REQUEST = /^([A-Z][A-Z_-]*) (\S+)(?: (.+))?$/;

const quote = (text: string, max = 60): string =>
  JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
const dash = (field: string | undefined): string | undefined =>
  field === '-' || field === '' ? undefined : field;
const unquote = (field: string): string => field.replace(/\\(.)/g, '$1');

/** Parses `dd/Mon/yyyy:HH:MM:SS +zzzz` into epoch ms, or returns why it cannot. */
export function parseLogTime(text: string): { ok: true; ms: number } | { ok: false; reason: string } {
  const m = TIME.exec(text);
  const expected = 'expected a time like [01/Aug/1995:00:00:01 -0400]';
  if (m === null) return { ok: false, reason: `${expected}, found [${text}]` };
  const [, dd, mon, yyyy, hh, mi, ss, sign, oh, om] = m;
  const month = MONTHS[mon ?? ''];
  if (month === undefined) return { ok: false, reason: `${expected}: unknown month ${quote(mon ?? '')}` };
  const [day, year, hour, minute, second] = [Number(dd), Number(yyyy), Number(hh), Number(mi), Number(ss)];
  const offsetMinutes = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  const local = Date.UTC(year, month, day, hour, minute, second);
  const check = new Date(local);
  // Date.UTC rolls 31/Feb over into March: catch it, and out-of-range clock fields.
  if (
    check.getUTCDate() !== day ||
    check.getUTCMonth() !== month ||
    hour > 23 ||
    minute > 59 ||
    second > 60
  ) {
    return { ok: false, reason: `${expected}: [${text}] is not a valid date and time` };
  }
  if (Number(oh) > 14 || Number(om) > 59) {
    return { ok: false, reason: `${expected}: zone offset ${sign}${oh}${om} is out of range` };
  }
  return { ok: true, ms: local - offsetMinutes * 60_000 };
}

/** Splits a request line into method, path and protocol where it has that shape. */
export function splitRequest(request: string): Pick<AccessLogEntry, 'method' | 'path' | 'protocol'> {
  const m = REQUEST.exec(request);
  if (m === null) return {};
  const [, method, path, rest] = m;
  if (rest === undefined) return { method, path };
  // "GET /a b HTTP/1.0": a space in the path (seen in real logs); the protocol is the last token.
  const last = rest.lastIndexOf(' ');
  const tail = last === -1 ? rest : rest.slice(last + 1);
  if (/^HTTP\/\d(\.\d)?$/i.test(tail)) {
    return { method, path: last === -1 ? path : `${path} ${rest.slice(0, last)}`, protocol: tail };
  }
  return { method, path: `${path} ${rest}` };
}

/** Parses one Common or Combined Log Format line. Never throws. */
export function parseAccessLog(line: string): ParseAccessLogResult {
  const text = line.endsWith('\r') ? line.slice(0, -1) : line;
  const head = HEAD.exec(text);
  if (head === null) {
    return {
      ok: false,
      reason: `expected 'host ident user [time] "request" status bytes', found ${quote(text)}`,
    };
  }
  const [, host = '', ident, user, timeText = '', rest = ''] = head;
  const time = parseLogTime(timeText);
  if (!time.ok) return time;
  const tail = COMBINED_TAIL.exec(rest) ?? COMMON_TAIL.exec(rest);
  if (tail === null) {
    return {
      ok: false,
      reason: `expected '"request" status bytes' (optionally '"referer" "user-agent"') after the time, found ${quote(rest)}`,
    };
  }
  const [, request = '', statusText, bytesText, referer, userAgent] = tail;
  const status = Number(statusText);
  if (status < 100 || status > 599) {
    return { ok: false, reason: `expected an HTTP status 100-599, found ${statusText}` };
  }
  const bytes = bytesText === '-' ? 0 : Number(bytesText);
  if (!Number.isSafeInteger(bytes)) return { ok: false, reason: `expected a byte count, found ${bytesText}` };
  const entry: Mutable<AccessLogEntry> = { host, timeMs: time.ms, request, status, bytes };
  const identity = dash(ident);
  if (identity !== undefined) entry.ident = identity;
  const userName = dash(user);
  if (userName !== undefined) entry.user = userName;
  if (request !== '-') Object.assign(entry, splitRequest(request));
  const from = referer === undefined ? undefined : dash(unquote(referer));
  if (from !== undefined) entry.referer = from;
  const agent = userAgent === undefined ? undefined : dash(unquote(userAgent));
  if (agent !== undefined) entry.userAgent = agent;
  return { ok: true, entry };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
