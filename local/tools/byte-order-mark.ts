/**
 * `text` without a leading UTF-8 byte order mark. Node's UTF-8 decoding keeps the mark that Excel's
 * "CSV UTF-8" and some Windows editors and shells write first, and JSON.parse refuses it (a CSV
 * header would carry it in its first column's name), so files and stdin are read through this.
 */
export function withoutByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
