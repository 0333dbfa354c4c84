import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LocalLambdaRuntime,
  memoryLogSink,
  readScheduledRules,
  ScheduleRunner,
  scheduledEvent,
} from '../../../../local/runtime/lambda/index.js';
import { CloudAssembly, defaultLocalContext } from '../../../../local/runtime/template/index.js';
import { projectRoot } from '../../../../local/tools/state-dir.js';

const basicDir = join(projectRoot, 'test', 'fixtures', 'handlers', 'basic');

/** A function running basic/index.mjs `collect`, and an every-minute rule targeting it. */
function app(rule: Record<string, unknown> = {}) {
  return CloudAssembly.fromTemplates({
    Sched: {
      Resources: {
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Handler: 'index.collect', Runtime: 'nodejs22.x', Code: { S3Key: 'x.zip' } },
          Metadata: { 'aws:asset:path': basicDir },
        },
        Rule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            ScheduleExpression: 'rate(1 minute)',
            State: 'ENABLED',
            Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'Target0' }],
            ...rule,
          },
        },
      },
    },
  });
}

const runtimes: LocalLambdaRuntime[] = [];
afterEach(() => {
  for (const r of runtimes.splice(0)) r.close();
});

describe('ScheduleRunner', () => {
  it("sends the target function EventBridge's Scheduled Event every period", async () => {
    // Prepare
    const assembly = app();
    const lambda = new LocalLambdaRuntime(assembly, {
      local: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' },
      logs: memoryLogSink(),
    });
    runtimes.push(lambda);
    const runner = ScheduleRunner.start({ assembly, lambda, context: defaultLocalContext(), periodMs: 100 });

    // Act
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await runner.stop();
    const seen = await lambda.function('Fn').invoke({ last: true });

    // Assess
    expect(readScheduledRules(assembly)[0]?.periodMs).toBe(60_000);
    expect(runner.progress()[0]?.invocations).toBeGreaterThanOrEqual(2);
    const events = seen.ok ? (seen.payload as Record<string, unknown>[]) : [];
    expect(events[0]).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'us-east-1',
      resources: [assembly.find('Rule').arn],
      detail: {},
    });
  });

  it("builds the Scheduled Event with the fields of AWS's sample", () => {
    // Prepare
    const sample = JSON.parse(
      readFileSync(
        join(projectRoot, 'test', 'fixtures', 'aws', 'powertools-ts-cloudwatch-scheduled-event.json'),
        'utf8',
      ),
    );

    // Act
    const event = scheduledEvent(
      'arn:aws:events:eu-central-1:123456789012:rule/ExampleRule',
      defaultLocalContext({ region: 'eu-central-1', accountId: '123456789012' }),
      0,
    );

    // Assess
    expect({ ...event, id: sample.id, version: undefined }).toEqual({ ...sample, version: undefined });
  });

  it('refuses cron schedules by name instead of running them at the wrong times', () => {
    // Act
    const act = () => readScheduledRules(app({ ScheduleExpression: 'cron(0 12 * * ? *)' }));

    // Assess
    expect(act).toThrow(/only rate\(\.\.\.\) schedules run locally \(given cron\(0 12 \* \* \? \*\)\)/);
  });
});
