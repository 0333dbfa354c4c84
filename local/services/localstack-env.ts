import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, LOCALSTACK_SERVICES, serviceDir } from './config.js';

/** Where LocalStack's host mode keeps its libraries, state and temporary files. */
export function localstackFilesystemRoot(): string {
  return join(serviceDir('localstack'), 'filesystem');
}

/** LocalStack's package folder under a filesystem root (kinesis-mock lives there). */
function packagesDir(filesystemRoot: string): string {
  return join(filesystemRoot, 'var', 'lib', 'localstack', 'lib');
}

/**
 * A new, empty filesystem root for a second LocalStack (the tests' private instance), whose
 * package folder is a link to the managed instance's: kinesis-mock is installed there once, and
 * a root without it would install it again with npm on the first Kinesis call.
 */
export function filesystemRootSharingPackages(root: string): string {
  const packages = packagesDir(root);
  if (!existsSync(packages)) {
    mkdirSync(join(packages, '..'), { recursive: true });
    symlinkSync(packagesDir(localstackFilesystemRoot()), packages, 'dir');
  }
  return root;
}

/** What the LocalStack runtime needs to know to run offline on this host. */
export interface LocalstackEnvOptions {
  readonly port: number;
  readonly filesystemRoot: string;
  readonly services?: readonly string[];
}

/**
 * The environment of the LocalStack runtime in host mode. Each setting is there for a reason:
 * - OVERRIDE_IN_DOCKER=0: LocalStack decides it runs "in Docker" from cgroup hints, and these
 *   machines are containers; it would then ignore FILESYSTEM_ROOT, write to /var/lib/localstack
 *   and /tmp/localstack, and listen on 0.0.0.0.
 * - DNS_ADDRESS=0, SKIP_SSL_CERT_DOWNLOAD=1, DISABLE_EVENTS=1: no DNS server, no certificate
 *   download and no analytics, none of which work offline.
 * - KINESIS_LATENCY=0: stream create/delete answer at once instead of after 500 ms.
 * - KINESIS_MOCK_LOG_LEVEL=ERROR: kinesis-mock's INFO logging slows PutRecords about 5x.
 * - KINESIS_PERSISTENCE=0: otherwise kinesis-mock writes all its streams to one JSON file every
 *   5 s, for nothing (a restarted LocalStack starts empty here anyway). That rewrite is why it
 *   slowed as streams grew: PutRecords fell from ~1,400 to ~95 records/s over 20,000 records.
 */
export function localstackEnv(options: LocalstackEnvOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    OVERRIDE_IN_DOCKER: '0',
    FILESYSTEM_ROOT: options.filesystemRoot,
    GATEWAY_LISTEN: `${HOST}:${options.port}`,
    SERVICES: (options.services ?? LOCALSTACK_SERVICES).join(','),
    DNS_ADDRESS: '0',
    SKIP_SSL_CERT_DOWNLOAD: '1',
    DISABLE_EVENTS: '1',
    KINESIS_LATENCY: '0',
    KINESIS_MOCK_LOG_LEVEL: 'ERROR',
    KINESIS_PERSISTENCE: '0',
    AWS_DEFAULT_REGION: 'us-east-1',
    // Python buffers stdout when it is a file: the log would lag behind what happened.
    PYTHONUNBUFFERED: '1',
  };
}
