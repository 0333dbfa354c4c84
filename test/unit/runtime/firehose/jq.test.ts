import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  compileJq,
  JqRuntimeError,
  JqSyntaxError,
  type JsonValue,
} from '../../../../local/runtime/firehose/jq/index.js';

const envelope = {
  v: 1,
  pipeline: 'taxi-rides',
  key: 'zone-42',
  ts: 1_700_000_000_123,
  event: { fare: 12.5, tags: ['a', 'b'], pickup: '2023-11-14T22:13:20Z' },
};

// Queries of the kinds Firehose users write in MetadataExtractionQuery, with jq 1.6's own answers.
const CASES: readonly { query: string; input: JsonValue; expected: JsonValue[] }[] = [
  {
    query:
      '{pipeline: .pipeline, event_date: (.ts/1000|strftime("%Y-%m-%d")), event_hour: (.ts/1000|strftime("%H"))}',
    input: envelope,
    expected: [{ pipeline: 'taxi-rides', event_date: '2023-11-14', event_hour: '22' }],
  },
  { query: '.event.fare * 2 + 1', input: envelope, expected: [26] },
  { query: '.ts/1000|todate', input: envelope, expected: ['2023-11-14T22:13:20Z'] },
  { query: '.event.pickup|fromdate', input: envelope, expected: [1_700_000_000] },
  { query: '.event.tags[]', input: envelope, expected: ['a', 'b'] },
  { query: '.event.tags[-1]', input: envelope, expected: ['b'] },
  { query: '.["pipeline"]', input: envelope, expected: ['taxi-rides'] },
  { query: '.missing.deeper', input: envelope, expected: [null] },
  { query: '.missing // "default"', input: envelope, expected: ['default'] },
  { query: '"\\(.pipeline)/\\(.v)"', input: envelope, expected: ['taxi-rides/1'] },
  {
    query: 'if .v > 1 then "new" elif .v == 1 then "one" else "old" end',
    input: envelope,
    expected: ['one'],
  },
  { query: '{key, v}', input: envelope, expected: [{ key: 'zone-42', v: 1 }] },
  { query: '{(.key): .v}', input: envelope, expected: [{ 'zone-42': 1 }] },
  { query: '.key|ascii_upcase|ltrimstr("ZONE-")', input: envelope, expected: ['42'] },
  { query: '.ts|tostring', input: envelope, expected: ['1700000000123'] },
  {
    query: '[1e16, 1e-5, 0.1+0.2]|map(tostring)',
    input: null,
    expected: [['1e+16', '1e-05', '0.30000000000000004']],
  },
  {
    query: '.ts/1000|strftime("%j %a %b %e %Z %z %s")',
    input: envelope,
    expected: ['318 Tue Nov 14 UTC +0000 1700000000'],
  },
  { query: '.ts/1000|gmtime|mktime', input: envelope, expected: [1_700_000_000] },
  { query: '(1,2) + (10,20)', input: null, expected: [11, 12, 21, 22] },
  { query: '.v and (.key|test("^zone"))', input: envelope, expected: [true] },
  { query: 'try error("boom") catch .', input: null, expected: ['boom'] },
  { query: '.key.x?', input: envelope, expected: [] },
  { query: '[.event.tags[]|select(. != "a")]|length', input: envelope, expected: [1] },
];

function realJq(query: string, input: JsonValue): JsonValue[] | undefined {
  try {
    const out = execFileSync('jq', ['-c', query], { input: JSON.stringify(input), encoding: 'utf8' });
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as JsonValue);
  } catch {
    return undefined;
  }
}

const jqVersion = (() => {
  try {
    return execFileSync('jq', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
})();

describe('JQ subset', () => {
  it.each(CASES)('$query', ({ query, input, expected }) => {
    // Act
    const outputs = compileJq(query)(input);

    // Assess
    expect(outputs).toEqual(expected);
  });

  // The expectations above were taken from jq 1.6 (Firehose's JsonParsingEngine JQ-1.6); where that
  // binary is installed, check again that it still agrees, so a wrong expectation cannot hide.
  it.runIf(jqVersion === 'jq-1.6').each(CASES)('jq 1.6 agrees on $query', ({ query, input, expected }) => {
    expect(realJq(query, input)).toEqual(expected);
  });

  it.each([
    ['5|.foo', 'Cannot index number with string "foo"'],
    ['"x"|strftime("%Y")', 'strftime/1 requires parsed datetime inputs'],
    ['5|.[]', 'Cannot iterate over number (5)'],
  ])('reports jq runtime errors for %s', (query, message) => {
    // Prepare
    const filter = compileJq(query);

    // Act + Assess
    expect(() => filter(null)).toThrow(new JqRuntimeError(message));
  });

  it.each(['{a: 1 + 2}', 'if . then 1 end', 'nope', '.a[1:2]', '{a: .x'])(
    'rejects %s at compile time like jq 1.6',
    (query) => {
      expect(() => compileJq(query)).toThrow(JqSyntaxError);
    },
  );

  it('refuses at compile time what jq accepts but this subset does not implement, rather than misread it', () => {
    // `as` bindings: valid jq, not needed by Firehose partition-key queries.
    expect(() => compileJq('1 as $x|.')).toThrow(JqSyntaxError);
  });
});
