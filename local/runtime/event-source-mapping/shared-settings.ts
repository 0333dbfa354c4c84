import { z } from 'zod';

// The settings that config.ts (Kinesis) and kafka-config.ts (MSK) read alike: the same defaults
// and ranges, so both accept and refuse the same values with the same message.

/** Throws a MappingConfigError (`<id>: <what> (given <given>)`) unless `ok`. */
export type SettingCheck = (ok: boolean, what: string, given: unknown) => void;

/** `DestinationConfig`: the local runners read its OnFailure destination. */
export const destinationConfig = z.object({
  OnFailure: z.object({ Destination: z.string().optional() }).optional(),
});

/** What the readers below take of a mapping's parsed properties. */
interface SharedProperties {
  readonly BatchSize?: number;
  readonly MaximumRetryAttempts?: number;
  readonly MaximumRecordAgeInSeconds?: number;
  readonly DestinationConfig?: z.infer<typeof destinationConfig>;
}

/** BatchSize: 100 when unset, 1-10000. */
export function readBatchSize(p: SharedProperties, check: SettingCheck): number {
  const batchSize = p.BatchSize ?? 100;
  check(batchSize >= 1 && batchSize <= 10_000, 'BatchSize must be 1-10000', batchSize);
  return batchSize;
}

/** MaximumRetryAttempts and MaximumRecordAgeInSeconds, -1 (no limit) when unset. */
export function readRetryLimits(
  p: SharedProperties,
  check: SettingCheck,
): { readonly retries: number; readonly age: number } {
  const retries = p.MaximumRetryAttempts ?? -1;
  check(retries >= -1 && retries <= 10_000, 'MaximumRetryAttempts must be -1-10000', retries);
  const age = p.MaximumRecordAgeInSeconds ?? -1;
  check(
    age === -1 || (age >= 60 && age <= 604_800),
    'MaximumRecordAgeInSeconds must be -1 or 60-604800',
    age,
  );
  return { retries, age };
}

/** The OnFailure destination's ARN: an SQS queue, the only kind the local runners send to. */
export function readOnFailureDestination(p: SharedProperties, check: SettingCheck): string | undefined {
  const destination = p.DestinationConfig?.OnFailure?.Destination;
  check(
    destination === undefined || /^arn:aws[\w-]*:sqs:/.test(destination),
    'OnFailure destination must be an SQS queue locally',
    destination,
  );
  return destination;
}
