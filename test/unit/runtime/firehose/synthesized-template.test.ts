import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseDeliveryStream } from '../../../../local/runtime/firehose/config.js';
import { DeliveryStream } from '../../../../local/runtime/firehose/delivery-stream.js';
import type { ObjectSink } from '../../../../local/runtime/firehose/object-sink.js';
import synthesized from './fixtures/synthesized-delivery-streams.json' with { type: 'json' };

// synthesized-delivery-streams.json: three DeliveryStreams of `cdk synth` (aws-cdk-lib 2.276.0, this
// project's infra, stage dev) with intrinsics resolved by local/runtime/template, captured 2026-11-23.
const entries = Object.entries(synthesized) as [string, { physicalName: string; properties: unknown }][];
const ARRIVAL = Date.UTC(2026, 10, 23, 10, 15);

function stream(prefix: string): { delivery: DeliveryStream; objects: { key: string; body: Buffer }[] } {
  const found = entries.find(([id]) => id.startsWith(prefix));
  if (found === undefined) throw new Error(`fixture has no ${prefix} delivery stream`);
  const [logicalId, { physicalName, properties }] = found;
  const objects: { key: string; body: Buffer }[] = [];
  const sink: ObjectSink = {
    async put(_bucket, key, body) {
      objects.push({ key, body });
    },
  };
  return {
    delivery: new DeliveryStream(parseDeliveryStream(logicalId, properties, physicalName), sink, {
      now: () => ARRIVAL,
    }),
    objects,
  };
}

describe('delivery streams of the synthesized app', () => {
  it.each(entries)(
    '%s parses with every setting from the template',
    (logicalId, { physicalName, properties }) => {
      const config = parseDeliveryStream(logicalId, properties, physicalName);
      expect(config).toMatchObject({
        name: physicalName,
        compression: 'GZIP',
        dynamicPartitioning: true,
        appendDelimiter: '\n',
      });
    },
  );

  it('writes aggregate records (contracts.md) under aggregates/pipeline=/window_date=/window_hour=', async () => {
    // Prepare
    const { delivery, objects } = stream('AggregatesDeliveryStream');
    const result = {
      id: 'ab12',
      pipeline: 'taxi-rides',
      key: 'zone-1',
      window_start: Date.UTC(2026, 10, 22, 23, 55),
      window_end: Date.UTC(2026, 10, 23, 0, 0),
      values: { count: 3, fare_sum: 41.5 },
      shard: 'shardId-000000000000',
      emitted_at: ARRIVAL,
    };

    // Act
    delivery.put(Buffer.from(JSON.stringify(result)));
    await delivery.flush();

    // Assess
    expect(objects).toHaveLength(1);
    expect(objects[0]?.key).toMatch(
      /^aggregates\/pipeline=taxi-rides\/window_date=2026-11-22\/window_hour=23\/Tributary-dev-AggregatesDeliveryStream[\w-]+-1-2026-11-23-10-15-00-[0-9a-f-]{36}\.gz$/,
    );
    expect(JSON.parse(gunzipSync(objects[0]?.body ?? Buffer.alloc(0)).toString())).toEqual(result);
  });

  it('writes late records by event date and raw envelopes by event date and hour', async () => {
    const late = stream('LateDeliveryStream');
    const raw = stream('Rawtaxirides');
    const ts = Date.UTC(2026, 10, 21, 5, 4);
    late.delivery.put(Buffer.from(JSON.stringify({ pipeline: 'taxi-rides', key: 'k', ts, lateness_ms: 9 })));
    raw.delivery.put(Buffer.from(JSON.stringify({ v: 1, pipeline: 'taxi-rides', key: 'k', ts, event: {} })));
    await Promise.all([late.delivery.flush(), raw.delivery.flush()]);
    expect(late.objects[0]?.key).toMatch(/^late\/pipeline=taxi-rides\/event_date=2026-11-21\/Tributary-dev-/);
    expect(raw.objects[0]?.key).toMatch(
      /^raw\/pipeline=taxi-rides\/event_date=2026-11-21\/event_hour=05\/Tributary-dev-/,
    );
  });
});
