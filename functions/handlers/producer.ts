import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';

/** Producer Lambda (function URL, AWS_IAM auth). Final wiring lands with the producer adapter. */
export const handler = async (_event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
  return { statusCode: 503, body: JSON.stringify({ message: 'producer not wired yet' }) };
};
