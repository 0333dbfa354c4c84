import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { StoppedError } from '../../../../local/runtime/event-source-mapping/errors.js';
import { KafkaLane } from '../../../../local/runtime/event-source-mapping/kafka-lane.js';
import type { KafkaRecord } from '../../../../local/runtime/event-source-mapping/msk-event.js';

const records = (from: number, n: number, partition = 0): KafkaRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    topic: 't',
    partition,
    offset: String(from + i),
    timestamp: 0,
    key: null,
    value: Buffer.alloc(8),
    headers: [],
  }));

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A running lane whose deliveries and commits are recorded; `fail` makes a delivery stop it. */
function lane(batchSize: number, maxBatchingWindowMs: number, deliver?: () => Promise<void>) {
  const controller = new AbortController();
  const events: string[] = [];
  const batchOf = (b: readonly KafkaRecord[]) => b.map((r) => `${r.partition}:${r.offset}`).join(',');
  const l = new KafkaLane(
    { batchSize, maxBatchingWindowMs },
    {
      signal: controller.signal,
      deliver: async (b) => {
        events.push(`deliver ${batchOf(b)}`);
        await deliver?.();
      },
      commit: async (b) => {
        events.push(`commit ${batchOf(b)}`);
      },
    },
  );
  const running = l.run();
  const stop = async () => {
    controller.abort();
    await running;
  };
  stops.push(stop);
  return { lane: l, events, stop };
}

describe('KafkaLane', () => {
  it('invokes full batches at once, in order, and commits each after its delivery', async () => {
    // Prepare
    const { lane: l, events, stop } = lane(2, 60_000);

    // Act
    l.push(records(0, 5));
    await sleep(100);
    await stop();

    // Assess: the fifth record waits for a batch to fill or its window to end
    expect(events).toEqual(['deliver 0:0,0:1', 'commit 0:0,0:1', 'deliver 0:2,0:3', 'commit 0:2,0:3']);
  });

  it('waits for the batching window before invoking a batch that is not full', async () => {
    // Prepare
    const { lane: l, events } = lane(100, 500);

    // Act
    l.push(records(0, 1));
    await sleep(150);
    const early = [...events];
    l.push(records(1, 1));
    await sleep(650);

    // Assess
    expect(early).toEqual([]);
    expect(events).toEqual(['deliver 0:0,0:1', 'commit 0:0,0:1']);
  });

  it('commits nothing of a batch abandoned on stop', async () => {
    // Prepare: the delivery never succeeds before the runner stops
    const { lane: l, events, stop } = lane(10, 0, () => Promise.reject(new StoppedError('stopping')));

    // Act
    l.push(records(0, 3));
    await sleep(50);
    await stop();

    // Assess
    expect(events).toEqual(['deliver 0:0,0:1,0:2']);
  });

  it('mixes the partitions dealt to it in one batch and forgets those the consumer lost', async () => {
    // Prepare
    const { lane: l, events, stop } = lane(10, 200);

    // Act
    l.push([...records(0, 2, 0), ...records(0, 2, 1), ...records(2, 1, 0)]);
    l.drop((p) => p !== 1);
    await sleep(350);
    await stop();

    // Assess
    expect(events).toEqual(['deliver 0:0,0:1,0:2', 'commit 0:0,0:1,0:2']);
  });
});
