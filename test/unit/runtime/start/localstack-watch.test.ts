import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalstackWatch } from '../../../../local/runtime/start/localstack-watch.js';
import { RunFailedError } from '../../../../local/runtime/start/run-failed-error.js';

/** An HTTP server answering `/_localstack/info` the way LocalStack does, with a session we choose. */
class InfoServer {
  session = 'session-a';
  private server: Server | undefined;
  port = 0;

  async listen(port = 0): Promise<void> {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ version: '4.13.1', session_id: this.session, uptime: 3 }));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

describe('LocalstackWatch', () => {
  const server = new InfoServer();
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  afterEach(async () => {
    await server.close();
    server.session = 'session-a';
    lines.length = 0;
  });

  it('passes while the instance the run began with answers', async () => {
    // Prepare
    await server.listen();
    const watch = await LocalstackWatch.begin(server.endpoint, log);

    // Act and assess
    await expect(watch.assertSameInstance()).resolves.toBeUndefined();
  });

  it('reports a restart (a new session) as lost data, naming it', async () => {
    // Prepare
    await server.listen();
    const watch = await LocalstackWatch.begin(server.endpoint, log);
    server.session = 'session-b';

    // Act
    const outcome = watch.assertSameInstance();

    // Assess
    await expect(outcome).rejects.toThrow(RunFailedError);
    await expect(outcome).rejects.toThrow(/LocalStack restarted and lost its data/);
  });

  it('waits out an outage: connection refused, then the same instance again', async () => {
    // Prepare
    await server.listen();
    const watch = await LocalstackWatch.begin(server.endpoint, log, 10_000);
    const port = server.port;
    await server.close();

    // Act
    const outcome = watch.assertSameInstance();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await server.listen(port);

    // Assess
    await expect(outcome).resolves.toBeUndefined();
    expect(lines.join('\n')).toMatch(/does not answer \(fetch failed: ECONNREFUSED\); waiting up to 10 s/);
  });

  it('gives up on a LocalStack that does not come back, saying it stopped answering', async () => {
    // Prepare
    await server.listen();
    const watch = await LocalstackWatch.begin(server.endpoint, log, 1_000);
    await server.close();

    // Act
    const outcome = watch.assertSameInstance();

    // Assess
    await expect(outcome).rejects.toThrow(/stopped answering during the run .* did not come back within 1 s/);
  });
});
