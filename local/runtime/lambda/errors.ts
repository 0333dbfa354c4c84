/** The invocation could not be made at all (not a function error): payload too large, runtime closed. */
export class LambdaInvokeError extends Error {
  override readonly name: string = 'LambdaInvokeError';
}

/** The request was over Lambda's 6 MB payload limit (`RequestEntityTooLargeException` in AWS). */
export class PayloadTooLargeError extends LambdaInvokeError {
  override readonly name = 'PayloadTooLargeError';
}

/** A function error the way Lambda reports it (`X-Amz-Function-Error: Unhandled`, this payload). */
export interface FunctionError {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace?: readonly string[];
}
