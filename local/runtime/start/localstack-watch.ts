import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { getJson } from '../../services/health.js';
import { RunFailedError } from './run-failed-error.js';

const infoSchema = z.object({ session_id: z.string().min(1), uptime: z.number() });

/** How long a run waits for a LocalStack that stopped answering (a restart takes 3-10 s here). */
export const LOCALSTACK_OUTAGE_MS = 60_000;

/**
 * Tells a LocalStack restart from everything else. A LocalStack without persistence starts empty,
 * so a restart mid-run loses the run's stream, state and warehouse objects, and every later call
 * fails in its own way (connection refused, ResourceNotFound, NoSuchBucket, QueueDoesNotExist).
 * `/_localstack/info` names the session of the running instance: a new session is a restart.
 */
export class LocalstackWatch {
  private constructor(
    readonly endpoint: string,
    /** The session the run began with; undefined when the endpoint has no info route (not LocalStack). */
    private readonly session: string | undefined,
    private readonly log: (line: string) => void,
    private readonly outageMs: number,
  ) {}

  static async begin(
    endpoint: string,
    log: (line: string) => void,
    outageMs = LOCALSTACK_OUTAGE_MS,
  ): Promise<LocalstackWatch> {
    const info = await readInfo(endpoint).catch(() => undefined);
    return new LocalstackWatch(endpoint, info?.session_id, log, outageMs);
  }

  /**
   * Resolves when LocalStack is still the instance the run began with. Waits out a short outage
   * (connection refused while it restarts); throws RunFailedError when it answers with a new
   * session (restarted, data lost) or does not answer again within the outage time.
   */
  async assertSameInstance(): Promise<void> {
    if (this.session === undefined) return;
    const info = await this.waitForAnswer();
    if (info.session_id === this.session) return;
    throw new RunFailedError(
      `LocalStack restarted and lost its data during the run: ${this.endpoint} answers as a new instance ` +
        `(up ${Math.round(info.uptime)} s, session ${info.session_id.slice(0, 8)} instead of ${this.session.slice(0, 8)}). ` +
        'Without persistence a restarted LocalStack starts empty: the stream, the aggregator state and the ' +
        'warehouse objects of this run are gone, so the run cannot be trusted. Start a new run.',
    );
  }

  private async waitForAnswer(): Promise<z.output<typeof infoSchema>> {
    const deadline = Date.now() + this.outageMs;
    let waiting = false;
    for (;;) {
      let reason: string;
      try {
        return await readInfo(this.endpoint);
      } catch (error) {
        reason = describe(error);
      }
      if (Date.now() >= deadline) {
        throw new RunFailedError(
          `LocalStack at ${this.endpoint} stopped answering during the run (${reason}) and did not come back ` +
            `within ${this.outageMs / 1000} s; the run cannot finish. Start LocalStack again and a new run.`,
        );
      }
      if (!waiting) {
        this.log(
          `LocalStack at ${this.endpoint} does not answer (${reason}); waiting up to ${this.outageMs / 1000} s for it`,
        );
        waiting = true;
      }
      await sleep(1_000);
    }
  }
}

/** fetch says only "fetch failed"; the cause says why (ECONNREFUSED while LocalStack is down). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? `${error.message}: ${code}` : error.message;
}

async function readInfo(endpoint: string): Promise<z.output<typeof infoSchema>> {
  return infoSchema.parse(await getJson(`${endpoint}/_localstack/info`));
}
