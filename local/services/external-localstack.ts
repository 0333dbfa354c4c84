import { ServiceConfigError } from './errors.js';
import { waitForLocalstack } from './localstack.js';
import type { Log } from './localstack-install.js';
import { up } from './manager.js';

/** Names a LocalStack that tributary neither starts nor stops (see {@link externalLocalstackEndpoint}). */
export const EXTERNAL_LOCALSTACK_VARIABLE = 'TRIBUTARY_LOCALSTACK_ENDPOINT';

/**
 * The endpoint of a LocalStack someone else runs (another port, another machine's container, the
 * tests' private instance they restart on purpose), from TRIBUTARY_LOCALSTACK_ENDPOINT. When it is
 * set, the local clients and `tributary start` use it instead of `.local/services.json`.
 */
export function externalLocalstackEndpoint(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[EXTERNAL_LOCALSTACK_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ServiceConfigError(
      `${EXTERNAL_LOCALSTACK_VARIABLE} must be a URL (given ${JSON.stringify(raw)})`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServiceConfigError(
      `${EXTERNAL_LOCALSTACK_VARIABLE} must be an http(s) URL such as http://127.0.0.1:4566 (given ${JSON.stringify(raw)})`,
    );
  }
  return url.origin;
}

/**
 * LocalStack for a command that needs it: the external one when TRIBUTARY_LOCALSTACK_ENDPOINT is
 * set (waited on until healthy, never started or stopped here), otherwise the managed one, started
 * or reused without claiming it (a test run's services stay the test run's to stop).
 */
export async function useLocalstack(log: Log, timeoutMs = 180_000): Promise<void> {
  const external = externalLocalstackEndpoint();
  if (external === undefined) {
    await up({ services: ['localstack'], mode: 'host', timeoutMs, log, claim: false });
    return;
  }
  log(`localstack: using ${external} (${EXTERNAL_LOCALSTACK_VARIABLE}; not started or stopped by tributary)`);
  await waitForLocalstack(external, timeoutMs);
}
