/** The function asked for is not in the synthesized app, or the name fits several (bad argument). */
export class UnknownFunctionError extends Error {
  override readonly name = 'UnknownFunctionError';
}

/** The event file is missing, unreadable or not JSON (bad argument); the message names the file. */
export class EventFileError extends Error {
  override readonly name = 'EventFileError';
}

/**
 * A resource the function touches could not be made ready in LocalStack (LocalStack down or
 * refusing); the message names the resource and LocalStack's answer.
 */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
}
