import { S3Client } from '@aws-sdk/client-s3';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { readStateCheckEnv } from '../adapters/config.js';
import {
  checkCheckpoints,
  type DeployedDefinition,
  describeRefusal,
} from '../adapters/state/checkpoint-compatibility.js';
import { S3StateStore } from '../adapters/state/s3-state-store.js';
import { validateWindowSpec } from '../core/window-spec.js';

/** What the CDK provider framework expects back. */
export interface StateCheckResponse {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly Checked: number };
}

/** JSON text in a property (CloudFormation passes every property value as a string). */
const json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON text' });
    return z.NEVER;
  }
});

/** The definition being deployed (or rolled back to), as infra/constructs/state-checks.ts writes it. */
const propertiesSchema = z.object({
  Pipeline: z.string().min(1),
  Window: json,
  Aggregations: json.pipe(z.array(z.string())),
  StateVersion: z.coerce.number().int().min(1),
});

function definitionOf(properties: z.output<typeof propertiesSchema>): DeployedDefinition {
  return {
    window: validateWindowSpec(properties.Window),
    aggregations: properties.Aggregations,
    stateVersion: properties.StateVersion,
  };
}

/**
 * The `Custom::PipelineStateCheck` on-event handler: a deploy guard. CloudFormation updates the
 * resource before the pipeline's functions whenever the pipeline's window, aggregations or the
 * engine's state version change (infra/constructs/state-checks.ts). It reads the pipeline's
 * checkpoints and throws when the definition in its properties would refuse one that the
 * definition it replaces (`OldResourceProperties`) accepts: the resource fails, the stack rolls
 * back, and the aggregator keeps running the code that wrote them, instead of failing every batch
 * into the dead-letter queue. The definitions are the resource's, not this code's: a rollback is
 * judged by the definition it goes back to. Checkpoints refused either way (corrupt, or of an older
 * definition) are logged, not failed on: no update changes them, and failing on them would fail
 * the rollback as well. Delete checks nothing.
 */
export async function handler(event: CloudFormationCustomResourceEvent): Promise<StateCheckResponse> {
  const parsed = propertiesSchema.safeParse(event.ResourceProperties);
  if (!parsed.success) {
    throw new Error(`Custom::PipelineStateCheck properties: ${z.prettifyError(parsed.error)}`);
  }
  const pipeline = parsed.data.Pipeline;
  const physicalId = `${pipeline}-state-check`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { Checked: 0 } };
  const env = readStateCheckEnv();
  const store = new S3StateStore({
    client: new S3Client({}),
    bucket: env.STATE_BUCKET,
    prefix: env.STATE_PREFIX,
  });
  const deployed = definitionOf(parsed.data);
  // On an Update, the definition being replaced: only what the update breaks may fail it.
  const old =
    event.RequestType === 'Update' ? propertiesSchema.safeParse(event.OldResourceProperties) : undefined;
  const report = await checkCheckpoints(
    store,
    pipeline,
    deployed,
    old?.success ? definitionOf(old.data) : undefined,
  );
  for (const { shard, reason } of report.alreadyRefused) {
    console.warn(
      `pipeline ${pipeline}: checkpoint ${shard} is refused whatever is deployed (${reason}): it needs an operator`,
    );
  }
  if (report.refused.length > 0) throw new Error(describeRefusal(report));
  console.log(`pipeline ${pipeline}: ${report.checked} checkpoints checked, none broken by this update`);
  return { PhysicalResourceId: physicalId, Data: { Checked: report.checked } };
}
