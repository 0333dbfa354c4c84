import { readFileSync } from 'node:fs';
import { withoutByteOrderMark } from '../../tools/byte-order-mark.js';
import { EventFileError } from './errors.js';

/**
 * Reads an event file: any JSON value, as `aws lambda invoke --payload file://...` accepts.
 * Throws {@link EventFileError} saying which file and what is wrong with it.
 */
export function readEventFile(path: string): unknown {
  let body: string;
  try {
    body = withoutByteOrderMark(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : (code ?? String(error));
    throw new EventFileError(`--event ${path}: cannot read (${why})`);
  }
  if (body.trim() === '') throw new EventFileError(`--event ${path}: empty file (expected a JSON event)`);
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new EventFileError(
      `--event ${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}
