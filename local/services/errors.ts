/**
 * Errors of `tributary services`. Each says what was expected, what was found and what to do,
 * because the reader is usually a developer whose first `npm test` just failed.
 */
export class ServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A tool the services need is missing or too old (Python, Java, Maven, Docker). */
export class PrerequisiteError extends ServiceError {}

/** A port the service wants is held by a process tributary did not start. */
export class PortTakenError extends ServiceError {}

/** A service did not become healthy before its deadline. */
export class HealthTimeoutError extends ServiceError {}

/** A child process (installer, formatter) exited with a failure. */
export class CommandFailedError extends ServiceError {}

/** `.local/services.json` or an environment setting does not have the expected shape. */
export class ServiceConfigError extends ServiceError {}
