import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { ConfigurationError } from '../errors.js';

const kafkaEnvSchema = z.object({
  /** Comma-separated `host:port` list (MSK: the SASL/IAM bootstrap string, port 9098). */
  KAFKA_BOOTSTRAP_SERVERS: z
    .string()
    .trim()
    .min(1)
    .transform((text) => text.split(',').map((s) => s.trim())),
  /** `aws-iam` on MSK (TLS + SASL OAUTHBEARER signed with the function's role); `none` locally. */
  KAFKA_AUTH: z.enum(['aws-iam', 'none']).default('aws-iam'),
  AWS_REGION: z.string().optional(),
});

export type KafkaEnv = z.output<typeof kafkaEnvSchema>;

/** Reads the broker list and the auth mode; throws a ConfigurationError naming what is missing. */
export function readKafkaEnv(env: Record<string, string | undefined> = process.env): KafkaEnv {
  const parsed = kafkaEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(`Kafka environment is incomplete: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * A kafkajs client for the cluster. On MSK, IAM access control needs TLS and a SASL OAUTHBEARER
 * token that AWS's signer library makes from the function's credentials (it is refreshed by
 * kafkajs on reauthentication, so a warm container keeps working past the token's 15 minutes).
 */
export function createKafkaClient(env: KafkaEnv, clientId: string): Kafka {
  // Errors only: kafkajs warns on every client about settings this project chose on purpose
  // (the default partitioner, bounded retries of the idempotent producer).
  const common = { clientId, brokers: env.KAFKA_BOOTSTRAP_SERVERS, logLevel: logLevel.ERROR };
  if (env.KAFKA_AUTH === 'none') return new Kafka(common);
  const region = env.AWS_REGION;
  if (!region) throw new ConfigurationError('KAFKA_AUTH=aws-iam needs AWS_REGION to sign the token');
  return new Kafka({
    ...common,
    ssl: true,
    sasl: {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        // Loaded on first use: only MSK deployments pay for the signer and its STS client.
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        const { token } = await generateAuthToken({ region });
        return { value: token };
      },
    },
  });
}
