import { acquireTestServices, releaseTestServices } from '../../local/services/test-lease.js';

const log = (line: string) => console.error(`[services] ${line}`);

/**
 * Makes LocalStack and Kafka available to the integration tests: reuses running ones, installs
 * and starts missing ones (so `npm test` works right after `npm install`). At the end it stops
 * what test runs started, once no other test run in this checkout still uses them; services a
 * developer started with `tributary services up` are left alone. TRIBUTARY_KEEP_SERVICES=1 keeps
 * everything running for the next run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const started = Date.now();
  const outcomes = await acquireTestServices(log);
  const fresh = outcomes.filter((o) => !o.reused).map((o) => o.name);
  log(
    `ready in ${((Date.now() - started) / 1000).toFixed(1)} s (started now: ${fresh.join(', ') || 'none'})`,
  );
  return () => releaseTestServices(log, process.env.TRIBUTARY_KEEP_SERVICES === '1');
}
