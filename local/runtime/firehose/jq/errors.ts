/** The JQ query does not parse: the query text is wrong (a configuration error, never a record error). */
export class JqSyntaxError extends Error {
  override readonly name = 'JqSyntaxError';
  constructor(
    message: string,
    readonly query: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position} of JQ query ${JSON.stringify(query)}`);
  }
}

/** Evaluating the query on one input failed, like `jq: error (at <stdin>:0): ...`. */
export class JqRuntimeError extends Error {
  override readonly name = 'JqRuntimeError';
}
