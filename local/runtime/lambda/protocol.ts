import { z } from 'zod';

/** Messages from bootstrap.mjs to the parent, validated: they come from another process. */
const ErrorPayload = z.object({
  errorType: z.string(),
  errorMessage: z.string(),
  trace: z.array(z.string()).optional(),
});

export const ChildMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('init-error'), error: ErrorPayload }),
  z.object({ type: z.literal('result'), id: z.string(), payload: z.string() }),
  z.object({ type: z.literal('error'), id: z.string(), error: ErrorPayload }),
  z.object({ type: z.literal('crash'), error: ErrorPayload }),
]);
export type ChildMessage = z.infer<typeof ChildMessage>;

/** The context object's plain fields (the functions are added in the child). */
export interface InvokeContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
}

export interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: string;
  readonly event: unknown;
  readonly context: InvokeContext;
  readonly deadlineMs: number;
}
