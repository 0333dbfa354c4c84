import type { EngineState } from '../../core/engine/state.js';
import { type StateDefinition, stateFit } from '../../core/engine/state-fit.js';
import { CheckpointCorruptError } from '../errors.js';
import { decodeCheckpoint } from './checkpoint.js';
import type { StateStore } from './state-store.js';

/** What the code being deployed computes: its checkpoints must fit this. */
export interface DeployedDefinition extends StateDefinition {
  /** The engine's state layout version (`STATE_VERSION`) of the code being deployed. */
  readonly stateVersion: number;
}

/** A shard whose checkpoint the deployed code would refuse, and why. */
export interface RefusedCheckpoint {
  readonly shard: string;
  readonly reason: string;
}

/** What a deploy would meet in the state store. */
export interface CompatibilityReport {
  readonly pipeline: string;
  /** Checkpoints read. */
  readonly checked: number;
  /** Checkpoints the deployed definition refuses and the running one accepts: the update breaks them. */
  readonly refused: readonly RefusedCheckpoint[];
  /**
   * Checkpoints refused whatever is deployed: not checkpoints at all, or refused by the running
   * definition too. No update makes them worse or better; they need an operator, not a rollback.
   */
  readonly alreadyRefused: readonly RefusedCheckpoint[];
}

/** The state layout version a checkpoint was written with, before any migration. */
function writtenVersion(body: Uint8Array): unknown {
  try {
    return (JSON.parse(Buffer.from(body).toString('utf8')) as { engine?: { v?: unknown } }).engine?.v;
  } catch {
    return undefined; // decodeCheckpoint says what is wrong
  }
}

/**
 * Why `definition` would refuse the checkpoint (its decoded engine state, and the state layout
 * version it was written with), or undefined when it would continue from it.
 */
function refusal(engine: EngineState, version: unknown, definition: DeployedDefinition): string | undefined {
  if (typeof version === 'number' && version > definition.stateVersion) {
    return `written with engine state version ${version}, the deployed code reads up to ${definition.stateVersion}`;
  }
  const fit = stateFit(engine, definition, 'this deploy');
  return typeof fit === 'object' ? fit.refused : undefined;
}

/**
 * Reads every checkpoint of the pipeline and judges it against the definition being deployed, as
 * its aggregator and idle flush will on their next run: refused when written with a later state
 * layout than the deployed code reads (a rollback), when no migration reaches it, or when it still
 * holds windows of another window or other aggregations. The definitions come from the deploy, not
 * from this code, so a rollback is judged by what it rolls back to. Only what the update breaks
 * counts: a checkpoint the `running` definition (the one being replaced) refuses as well, or one
 * that is no checkpoint at all, is listed apart. Errors reading the store are thrown: an unread
 * checkpoint is not a compatible one.
 */
export async function checkCheckpoints(
  store: StateStore,
  pipeline: string,
  deployed: DeployedDefinition,
  running?: DeployedDefinition,
): Promise<CompatibilityReport> {
  const refused: RefusedCheckpoint[] = [];
  const alreadyRefused: RefusedCheckpoint[] = [];
  let checked = 0;
  for (const shard of await store.list(pipeline)) {
    const stored = await store.get(pipeline, shard);
    if (stored === undefined || 'notModified' in stored) continue;
    checked += 1;
    let engine: EngineState;
    try {
      engine = decodeCheckpoint(stored.body).engine;
    } catch (error) {
      if (!(error instanceof CheckpointCorruptError)) throw error;
      alreadyRefused.push({ shard, reason: error.message });
      continue;
    }
    const version = writtenVersion(stored.body);
    const reason = refusal(engine, version, deployed);
    if (reason === undefined) continue;
    const breaks = running === undefined || refusal(engine, version, running) === undefined;
    (breaks ? refused : alreadyRefused).push({ shard, reason });
  }
  return { pipeline, checked, refused, alreadyRefused };
}

/** The report as a deploy's failure message: what is refused and why (shards grouped by reason), and what to do. */
export function describeRefusal(report: CompatibilityReport): string {
  const { pipeline, checked, refused } = report;
  const byReason = new Map<string, string[]>();
  for (const { shard, reason } of refused) byReason.set(reason, [...(byReason.get(reason) ?? []), shard]);
  const reasons = [...byReason].map(([reason, shards]) => {
    const named = shards.slice(0, 3).join(', ');
    const more = shards.length > 3 ? ` and ${shards.length - 3} more` : '';
    return `${named}${more}: ${reason}`;
  });
  return (
    `pipeline ${pipeline}: ${refused.length} of ${checked} checkpoints cannot continue under the definition ` +
    `this stack update deploys (${reasons.join('; ')}). The running aggregator is left as it is. Drain the ` +
    'pipeline first (stop its producers, wait until the idle flush has closed every window, and keep them ' +
    "stopped until the update is done), or keep its window and aggregations; see infra/README.md, 'Changing a running pipeline'."
  );
}
