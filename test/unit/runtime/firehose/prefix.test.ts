import { describe, expect, it } from 'vitest';
import { FirehoseConfigError } from '../../../../local/runtime/firehose/errors.js';
import { compilePrefix, effectivePrefixes } from '../../../../local/runtime/firehose/prefix.js';
import { compileTimestampPattern, zonedFields } from '../../../../local/runtime/firehose/timestamp-format.js';

const instant = Date.UTC(2026, 0, 5, 7, 8, 9, 45); // Monday 2026-01-05 07:08:09.045 UTC

describe('timestamp patterns (Java DateTimeFormatter letters)', () => {
  it.each([
    ['yyyy/MM/dd/HH', '2026/01/05/07'],
    ["yyyy-MM-dd'T'HH:mm:ss.SSS", '2026-01-05T07:08:09.045'],
    ["'year='yyyy/'month='M", 'year=2026/month=1'],
    ['yy DDD MMM MMMM EEE EEEE a hh', '26 005 Jan January Mon Monday AM 07'],
    ["HH 'o''clock'", "07 o'clock"],
  ])('%s formats as %s', (pattern, expected) => {
    expect(compileTimestampPattern(pattern)(zonedFields(instant))).toBe(expected);
  });

  it('uses CustomTimeZone when the template sets one', () => {
    expect(compileTimestampPattern('yyyy-MM-dd HH')(zonedFields(instant, 'Asia/Tokyo'))).toBe(
      '2026-01-05 16',
    );
  });

  it('rejects pattern letters it does not support, naming them', () => {
    expect(() => compileTimestampPattern('yyyy-ww')).toThrow(/uses 'w'/);
  });
});

describe('prefixes', () => {
  it('evaluates timestamp, partition keys and error-output-type', () => {
    // Prepare
    const data = compilePrefix(
      'raw/p=!{partitionKeyFromQuery:p}/!{timestamp:yyyy}/!{timestamp:HH}/',
      'Prefix',
    );
    const error = compilePrefix(
      'errors/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/',
      'ErrorOutputPrefix',
    );

    // Act
    const dataKey = data.evaluate({ arrival: zonedFields(instant), partitionKeys: { p: 'taxi' } });
    const errorKey = error.evaluate({ arrival: zonedFields(instant), errorOutputType: 'processing-failed' });

    // Assess
    expect(dataKey).toBe('raw/p=taxi/2026/07/');
    expect(errorKey).toBe('errors/processing-failed/2026-01-05/');
    expect(data.partitionKeys).toEqual(['p']);
  });

  it('gives !{firehose:random-string} 11 fresh alphanumeric characters each time', () => {
    const prefix = compilePrefix(
      'e/!{firehose:random-string}/!{firehose:error-output-type}/',
      'ErrorOutputPrefix',
    );
    const context = { arrival: zonedFields(instant) };
    const [a, b] = [prefix.evaluate(context), prefix.evaluate(context)];
    expect(a).toMatch(/^e\/[A-Za-z0-9]{11}\/processing-failed\/$/);
    expect(a).not.toBe(b);
  });

  it('applies Firehose defaults: yyyy/MM/dd/HH/ when absent or literal, error type first for errors', () => {
    const arrival = zonedFields(instant);
    const none = effectivePrefixes(undefined, undefined, false);
    const literal = effectivePrefixes('logs/', undefined, false);
    expect(none.data.evaluate({ arrival })).toBe('2026/01/05/07/');
    expect(literal.data.evaluate({ arrival })).toBe('logs/2026/01/05/07/');
    expect(none.error.evaluate({ arrival, errorOutputType: 'processing-failed' })).toBe(
      'processing-failed/2026/01/05/07/',
    );
  });

  it('appends the default time prefix to a Prefix that has expressions but no timestamp', () => {
    // Prepare: s3-prefixes.html: a Prefix without a *timestamp* expression gets
    // !{timestamp:yyyy/MM/dd/HH/} appended; random-string does not count
    const arrival = zonedFields(instant);

    // Act
    const { data } = effectivePrefixes(
      'logs/!{firehose:random-string}/',
      'errors/!{firehose:error-output-type}/',
      false,
    );

    // Assess
    expect(data.evaluate({ arrival })).toMatch(/^logs\/[A-Za-z0-9]{11}\/2026\/01\/05\/07\/$/);
  });

  it('appends no time prefix with dynamic partitioning', () => {
    // Act
    const { data } = effectivePrefixes(
      'p=!{partitionKeyFromQuery:p}/',
      'errors/!{firehose:error-output-type}/',
      true,
    );

    // Assess
    expect(data.evaluate({ arrival: zonedFields(instant), partitionKeys: { p: 'taxi' } })).toBe('p=taxi/');
  });

  it('puts the default error prefix under Prefix when ErrorOutputPrefix is absent', () => {
    // Prepare: s3-prefixes.html: ErrorOutputPrefix then evaluates to <Prefix><error-output-type>...
    const arrival = zonedFields(instant);

    // Act
    const { error } = effectivePrefixes('logs/', undefined, false);

    // Assess
    expect(error.evaluate({ arrival, errorOutputType: 'processing-failed' })).toBe(
      'logs/processing-failed/2026/01/05/07/',
    );
  });

  it.each([
    [
      'a Prefix with expressions and no ErrorOutputPrefix',
      ['p/!{timestamp:yyyy/MM/dd}/', undefined],
      /ErrorOutputPrefix can't be null when Prefix contains expressions/,
    ],
    [
      'a Prefix with expressions and an empty ErrorOutputPrefix',
      ['p/!{firehose:random-string}/', ''],
      /ErrorOutputPrefix can't be null when Prefix contains expressions/,
    ],
    [
      'an ErrorOutputPrefix with expressions but no error-output-type',
      ['p/!{timestamp:yyyy}/', 'e/!{timestamp:yyyy}/'],
      /must include !\{firehose:error-output-type\}/,
    ],
  ] as const)(
    'refuses %s, as Firehose does when the stream is created',
    (_, [prefix, errorPrefix], message) => {
      // Act + Assess
      expect(() => effectivePrefixes(prefix, errorPrefix, false)).toThrow(FirehoseConfigError);
      expect(() => effectivePrefixes(prefix, errorPrefix, false)).toThrow(message);
    },
  );

  it.each([
    ['p/!{partitionKeyFromLambda:id}/', 'Prefix', /not supported by the local Firehose/],
    ['p/!{firehose:error-output-type}/', 'Prefix', /belongs in ErrorOutputPrefix/],
    ['p/!{partitionKeyFromQuery:id}/', 'ErrorOutputPrefix', /not allowed/],
    ['p/!{nope:x}/', 'Prefix', /given "nope"/],
  ] as const)('rejects %s as %s', (source, role, message) => {
    expect(() => compilePrefix(source, role)).toThrow(FirehoseConfigError);
    expect(() => compilePrefix(source, role)).toThrow(message);
  });

  it('requires ErrorOutputPrefix with dynamic partitioning, like Firehose', () => {
    expect(() => effectivePrefixes('p/!{partitionKeyFromQuery:a}/', undefined, true)).toThrow(
      /ErrorOutputPrefix is required/,
    );
  });
});
