import { z } from 'zod';
import { FirehoseConfigError } from './errors.js';

/** An MSKAsSource delivery stream's source, as the local Kafka reader needs it. */
export interface MskSourceSettings {
  readonly type: 'MSKAsSource';
  /** Informational locally: there is one broker, whatever cluster the template names. */
  readonly clusterArn: string;
  readonly topic: string;
  /** Where a partition without a committed offset is read from; undefined: the earliest offset. */
  readonly readFromTimestampMs: number | undefined;
}

/** `MSKSourceConfiguration` as CloudFormation documents it (all but ReadFromTimestamp required). */
export const MskSourceConfiguration = z.object({
  // Locally a `Ref` to the cluster may resolve to its name rather than an ARN: any string will do.
  MSKClusterARN: z.string().min(1),
  TopicName: z
    .string()
    .regex(/^[a-zA-Z0-9._-]{1,255}$/, 'a literal topic name ([a-zA-Z0-9._-], at most 255 characters)'),
  AuthenticationConfiguration: z.object({
    Connectivity: z.enum(['PUBLIC', 'PRIVATE']),
    RoleARN: z.string(),
  }),
  ReadFromTimestamp: z.string().optional(),
});

// ISO 8601 date or date-time; Firehose reads it as UTC, so a date-time without a zone is UTC.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export function mskSource(
  where: string,
  configuration: z.infer<typeof MskSourceConfiguration> | undefined,
): MskSourceSettings {
  if (configuration === undefined) {
    throw new FirehoseConfigError(`${where}: DeliveryStreamType MSKAsSource needs MSKSourceConfiguration`);
  }
  return {
    type: 'MSKAsSource',
    clusterArn: configuration.MSKClusterARN,
    topic: configuration.TopicName,
    readFromTimestampMs: readFromTimestamp(where, configuration.ReadFromTimestamp),
  };
}

function readFromTimestamp(where: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const zoned = /T[^Z+-]*$/.test(text) ? `${text}Z` : text;
  const ms = ISO_TIMESTAMP.test(text) ? Date.parse(zoned) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new FirehoseConfigError(
      `${where}: MSKSourceConfiguration.ReadFromTimestamp must be an ISO 8601 time such as 1970-01-01T00:00:00Z (given ${text})`,
    );
  }
  return ms;
}
