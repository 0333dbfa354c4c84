/** A run that cannot give a trustworthy answer (LocalStack lost its data, the consumer stalled). */
export class RunFailedError extends Error {
  override readonly name = 'RunFailedError';
}
