import {
  TSV_COLUMNS as ACCESS_LOG_TSV_COLUMNS,
  parseAccessLogTsv,
} from '../../../functions/pipelines/web-access-logs/parse-access-log-tsv.js';

/** The cells of one tab-separated line; trailing empty cells (the NASA file ends rows with two) are dropped. */
export function tsvCells(line: string): string[] {
  const cells = line.replace(/\r$/, '').split('\t');
  while (cells.length > 0 && cells[cells.length - 1] === '') cells.pop();
  return cells;
}

function sameColumns(header: readonly string[], columns: readonly string[]): boolean {
  return header.length === columns.length && header.every((cell, i) => cell.trim() === columns[i]);
}

/**
 * Turns the rows of a TSV file with a header row into record texts. The pre-parsed NASA access
 * log layout (host, logname, time, method, url, response, bytes) is read with the web-access-logs
 * pipeline's own TSV reader into the JSON entry its decoder accepts; a row that reader refuses is
 * passed on as it is, so the pipeline refuses it too and the summary counts it. Any other header
 * makes each row a JSON object keyed by the header, cells converted by `value` (as for CSV).
 */
export function tsvTexts(lines: readonly string[], value: (raw: string) => unknown): string[] {
  const [headerLine = '', ...rows] = lines;
  const header = tsvCells(headerLine);
  if (sameColumns(header, ACCESS_LOG_TSV_COLUMNS)) {
    return rows.map((row) => {
      const parsed = parseAccessLogTsv(row);
      return parsed.ok ? JSON.stringify(parsed.entry) : row;
    });
  }
  return rows.map((row) => {
    const cells = row.replace(/\r$/, '').split('\t');
    return JSON.stringify(Object.fromEntries(header.map((h, i) => [h, value(cells[i] ?? '')])));
  });
}
