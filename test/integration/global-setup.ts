import { SERVICE_NAMES } from '../../local/services/config.js';
import { down, up } from '../../local/services/manager.js';

const log = (line: string) => console.error(`[services] ${line}`);

/**
 * Makes LocalStack and Kafka available to the integration tests: reuses running ones, installs
 * and starts missing ones (so `npm test` works right after `npm install`), and at the end stops
 * only what it started. TRIBUTARY_KEEP_SERVICES=1 keeps them running for the next run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const started = Date.now();
  const outcomes = await up({ services: SERVICE_NAMES, mode: 'host', timeoutMs: 300_000, log });
  const ours = outcomes.filter((o) => !o.reused).map((o) => o.name);
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s (started: ${ours.join(', ') || 'none'})`);

  return async () => {
    if (ours.length === 0) return;
    if (process.env.TRIBUTARY_KEEP_SERVICES === '1') {
      log(
        `TRIBUTARY_KEEP_SERVICES=1: leaving ${ours.join(', ')} running (stop with \`npx tributary services down\`)`,
      );
      return;
    }
    await down(ours, log);
  };
}
