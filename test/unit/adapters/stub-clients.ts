/** Records every command a stub SDK client receives; `respond` decides the answer per call. */
export function stubClient<Input, Output>(respond: (input: Input, call: number) => Output | Promise<Output>) {
  const inputs: Input[] = [];
  return {
    inputs,
    client: {
      async send(command: { input: Input }): Promise<Output> {
        inputs.push(command.input);
        return respond(command.input, inputs.length);
      },
    },
  };
}

/** Backoff without waiting, with the delays it would have slept recorded. */
export function instantBackoff(maxAttempts = 5) {
  const delays: number[] = [];
  return {
    delays,
    backoff: {
      maxAttempts,
      baseDelayMs: 10,
      maxDelayMs: 100,
      random: () => 0.999,
      sleep: async (ms: number) => {
        delays.push(ms);
      },
    },
  };
}

/** An SDK-style service error. */
export function serviceError(name: string, status: number): Error {
  return Object.assign(new Error(`${name} (stub)`), { name, $metadata: { httpStatusCode: status } });
}
