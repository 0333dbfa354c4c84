import type { ServiceName } from './config.js';
import { installKafka } from './kafka-install.js';
import { installLocalstack, type Log } from './localstack-install.js';
import { withServicesLock } from './manager.js';

/**
 * Installs the services without starting them (what `.ci/run` calls, and what `up` does first):
 * the LocalStack virtualenv with kinesis-mock, the Kafka jars. Resolves to seconds per service.
 */
export function install(services: readonly ServiceName[], log: Log): Promise<Record<string, number>> {
  // Under the services lock: an `up` of a test run may be installing into the same folders.
  return withServicesLock(async () => {
    const seconds: Record<string, number> = {};
    for (const name of services) {
      const started = Date.now();
      if (name === 'localstack') await installLocalstack(log);
      else await installKafka(log);
      seconds[name] = (Date.now() - started) / 1000;
    }
    return seconds;
  });
}
