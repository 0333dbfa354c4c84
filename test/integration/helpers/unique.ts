import { randomBytes } from 'node:crypto';

/** A name no earlier run used: tests share one LocalStack and one Kafka, and never clean up twice. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
