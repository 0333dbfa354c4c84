/** An event source mapping of the template cannot be run locally as written (the message says why). */
export class MappingConfigError extends Error {
  override readonly name = 'MappingConfigError';
}

/** Thrown inside a shard consumer when the runner is stopping; never escapes the runner. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}
