import type { AccessLogEntry, ParseAccessLogResult } from './parse-access-log.js';

/** Column order of the pre-parsed NASA TSV (`../shared/data/nasa-access-19950801-2000.tsv`). */
export const TSV_COLUMNS = ['host', 'logname', 'time', 'method', 'url', 'response', 'bytes'] as const;

/**
 * Parses one row of the pre-parsed NASA log TSV: host, logname, time (epoch seconds), method,
 * url, response, bytes. Extra trailing empty columns (the file has two) are ignored; the header
 * row is rejected like any other row that does not fit, with the reason.
 */
export function parseAccessLogTsv(row: string): ParseAccessLogResult {
  const cells = row.replace(/\r$/, '').split('\t');
  while (cells.length > TSV_COLUMNS.length && cells[cells.length - 1] === '') cells.pop();
  if (cells.length !== TSV_COLUMNS.length) {
    return {
      ok: false,
      reason: `expected ${TSV_COLUMNS.length} tab-separated columns (${TSV_COLUMNS.join(', ')}), found ${cells.length}`,
    };
  }
  const [host = '', logname = '', time = '', method = '', url = '', response = '', bytesText = ''] = cells;
  if (host === '') return { ok: false, reason: 'expected a host in column 1, found nothing' };
  if (!/^\d+$/.test(time))
    return { ok: false, reason: `expected epoch seconds in column 3, found ${JSON.stringify(time)}` };
  if (!/^[1-5]\d\d$/.test(response)) {
    return {
      ok: false,
      reason: `expected an HTTP status 100-599 in column 6, found ${JSON.stringify(response)}`,
    };
  }
  if (!/^(\d+|-)$/.test(bytesText)) {
    return {
      ok: false,
      reason: `expected a byte count or - in column 7, found ${JSON.stringify(bytesText)}`,
    };
  }
  const entry: { -readonly [K in keyof AccessLogEntry]: AccessLogEntry[K] } = {
    host,
    timeMs: Number(time) * 1000,
    request: [method, url].filter((part) => part !== '').join(' '),
    status: Number(response),
    bytes: bytesText === '-' ? 0 : Number(bytesText),
  };
  if (logname !== '-' && logname !== '') entry.ident = logname;
  if (method !== '') entry.method = method;
  if (url !== '') entry.path = url;
  return { ok: true, entry };
}
