import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handler } from '../../../functions/handlers/state-check.js';

// The check itself runs on S3 in test/integration/invoke.test.ts; here, what needs no bucket.
afterEach(() => {
  vi.unstubAllEnvs();
});

const properties = {
  ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider',
  Pipeline: 'taxi-rides',
  Window: '{"type":"tumbling","sizeMs":300000,"graceMs":3600000}',
  Aggregations: '["trips:count"]',
  StateVersion: '4',
};

function event(
  requestType: 'Create' | 'Update' | 'Delete',
  props: object,
): CloudFormationCustomResourceEvent {
  return {
    RequestType: requestType,
    ServiceToken: properties.ServiceToken,
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Tributary-dev/1',
    RequestId: 'request-1',
    LogicalResourceId: 'StateCheckstaxirides',
    PhysicalResourceId: 'taxi-rides-state-check',
    ResourceType: 'Custom::PipelineStateCheck',
    ResourceProperties: props,
    OldResourceProperties: props,
  } as CloudFormationCustomResourceEvent;
}

describe('the Custom::PipelineStateCheck handler', () => {
  it('checks nothing on Delete: no state bucket needed, the same physical id back', async () => {
    // Prepare: no STATE_BUCKET at all
    vi.stubEnv('STATE_BUCKET', '');

    // Act
    const response = await handler(event('Delete', properties));

    // Assess
    expect(response).toEqual({ PhysicalResourceId: 'taxi-rides-state-check', Data: { Checked: 0 } });
  });

  it.each([
    ['no pipeline', { ...properties, Pipeline: undefined }, /Pipeline/],
    ['a window that is not JSON', { ...properties, Window: '{type' }, /must be JSON text\n {2}→ at Window/],
    ['aggregations that are not a list of strings', { ...properties, Aggregations: '[1]' }, /Aggregations/],
    ['no state version', { ...properties, StateVersion: undefined }, /StateVersion/],
  ])('refuses properties with %s, saying which', async (_, props, reason) => {
    // Act / Assess
    await expect(handler(event('Update', props))).rejects.toThrow(reason);
  });

  it('refuses a window spec that cannot work before reading any checkpoint', async () => {
    // Prepare
    vi.stubEnv('STATE_BUCKET', 'unused');

    // Act / Assess
    await expect(
      handler(event('Create', { ...properties, Window: '{"type":"tumbling","sizeMs":0,"graceMs":0}' })),
    ).rejects.toThrow(/sizeMs/);
  });
});
