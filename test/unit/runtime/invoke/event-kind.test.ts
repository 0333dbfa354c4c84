import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyEvent, fitsSource } from '../../../../local/runtime/invoke/index.js';
import { projectRoot } from '../../../../local/tools/state-dir.js';

const fixture = (path: string): unknown =>
  JSON.parse(readFileSync(join(projectRoot, 'test/fixtures', path), 'utf8'));

describe('classifyEvent', () => {
  it.each([
    // Powertools' copy of the documentation's two records carries tumbling-window fields too.
    ['aws/powertools-python-kinesis-stream-event.json', 'kinesis-tumbling-window'],
    ['aws/powertools-ts-kinesis-stream-one-record.json', 'kinesis'],
    ['aws/powertools-ts-kinesis-stream-tumbling-window.json', 'kinesis-tumbling-window'],
    ['aws/aws-lambda-go-kinesis-time-window-event.json', 'kinesis-tumbling-window'],
    ['events/aws-lambda-go-kinesis-firehose-event.json', 'firehose'],
    ['aws/powertools-ts-cloudwatch-scheduled-event.json', 'scheduled'],
    ['aws/aws-lambda-go-lambda-urls-request.json', 'function-url'],
    ['aws/aws-lambda-go-kafka-event.json', 'msk'],
  ])('recognizes AWS sample %s as %s', (path, kind) => {
    // Act
    const got = classifyEvent(fixture(path));

    // Assess
    expect(got).toBe(kind);
  });

  it.each([[null], [[1, 2]], ['text'], [{ hello: 'world' }], [{ Records: [{ eventSource: 'aws:sqs' }] }]])(
    'calls %j unknown',
    (event) => {
      // Act and Assess
      expect(classifyEvent(event)).toBe('unknown');
    },
  );
});

describe('fitsSource', () => {
  it('takes both Kinesis shapes for a Kinesis mapping, nothing else', () => {
    // Act and Assess
    expect(fitsSource('kinesis-tumbling-window', 'kinesis')).toBe(true);
    expect(fitsSource('kinesis', 'kinesis-tumbling-window')).toBe(true);
    expect(fitsSource('firehose', 'kinesis')).toBe(false);
    expect(fitsSource('scheduled', 'function-url')).toBe(false);
  });
});
