/**
 * The delivery stream's configuration in the template cannot be emulated (or would be rejected by
 * Firehose): the message names the property, what was expected and what was found.
 */
export class FirehoseConfigError extends Error {
  override readonly name = 'FirehoseConfigError';
}

/** A Firehose API call the local endpoint rejects, with Firehose's error type (`__type`). */
export class FirehoseApiError extends Error {
  override readonly name = 'FirehoseApiError';
  constructor(
    readonly type:
      | 'ResourceNotFoundException'
      | 'InvalidArgumentException'
      | 'SerializationException'
      | 'UnknownOperationException',
    message: string,
  ) {
    super(message);
  }
}
