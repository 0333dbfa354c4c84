/** The invocation could not be made at all (not a function error): payload too large, runtime closed. */
export class LambdaInvokeError extends Error {
  override readonly name = 'LambdaInvokeError';
}

/** A function error the way Lambda reports it (`X-Amz-Function-Error: Unhandled`, this payload). */
export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}
