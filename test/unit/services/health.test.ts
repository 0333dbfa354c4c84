import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HealthTimeoutError } from '../../../local/services/errors.js';
import { portOpen, waitFor, whoListens } from '../../../local/services/health.js';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

describe('waitFor', () => {
  it('returns the first defined value', async () => {
    // Prepare
    let calls = 0;

    // Act
    const value = await waitFor(async () => (++calls >= 3 ? 'ready' : undefined), {
      what: 'thing',
      timeoutMs: 5_000,
      intervalMs: 10,
    });

    // Assess
    expect([value, calls]).toEqual(['ready', 3]);
  });

  it('times out with the last probe error in the message', async () => {
    // Act
    const act = waitFor(
      async () => {
        throw new Error('connection refused');
      },
      { what: 'kafka', timeoutMs: 100, intervalMs: 20 },
    );

    // Assess
    await expect(act).rejects.toThrow(HealthTimeoutError);
    await expect(act).rejects.toThrow('kafka: not healthy within 0 s (last: connection refused)');
  });

  it('stops early when the watched process died', async () => {
    // Act
    const act = waitFor(async () => undefined, {
      what: 'localstack',
      timeoutMs: 10_000,
      abortIf: () => 'the process exited',
    });

    // Assess
    await expect(act).rejects.toThrow('localstack: the process exited');
  });
});

describe('ports', () => {
  it('sees an open port, names its holder, and sees it closed again', async () => {
    // Prepare
    const { server, port } = await listen();

    // Act
    const open = await portOpen(port);
    const holder = whoListens(port);
    await new Promise((resolve) => server.close(resolve));
    const closed = await portOpen(port);

    // Assess
    expect(open).toBe(true);
    expect(holder).toMatch(new RegExp(`^pid ${process.pid}: `));
    expect(closed).toBe(false);
  });
});
