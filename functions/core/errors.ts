/**
 * Typed errors of the pure core. `retriable` tells a handler whether trying the same input again
 * can succeed (it never can here: these are all poison, i.e. wrong input or wrong configuration).
 */
export abstract class CoreError extends Error {
  /** False for every core error: the same input fails the same way again. */
  readonly retriable: boolean = false;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A window or aggregation spec that cannot work (e.g. a zero window size). */
export class InvalidSpecError extends CoreError {}

/** A pipeline definition that breaks a rule (name not kebab-case, no aggregation, ...). */
export class PipelineDefinitionError extends CoreError {}

/** A record the engine cannot place in time (timestamp not a whole number >= 0). */
export class InvalidRecordError extends CoreError {
  constructor(
    message: string,
    /** Position of the record in the batch given to the engine. */
    readonly index: number,
  ) {
    super(message);
  }
}

/** A checkpoint written by an unknown version of the engine. */
export class StateVersionError extends CoreError {
  constructor(
    readonly expected: number,
    readonly received: unknown,
  ) {
    super(`engine state version must be ${expected} (given ${JSON.stringify(received)})`);
  }
}

/** A checkpoint that does not have the shape of engine state, or belongs to another window spec. */
export class StateCorruptError extends CoreError {}
