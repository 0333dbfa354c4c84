import type { Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

/**
 * Checks the dashboard has each pipeline's redrive widget: its record counts by pipeline, the
 * messages it left, and its function's errors. Both transports build the same one.
 */
export function expectRedriveWidgets(template: Template, pipelines: readonly string[]): void {
  const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  const body = JSON.stringify(dashboard?.Properties.DashboardBody);
  for (const pipeline of pipelines) {
    expect(body).toContain(`${pipeline}: redrive`);
    expect(body).toMatch(
      new RegExp(`RedrivenRecords.{0,20}pipeline.{0,10}${pipeline}.{0,10}service.{0,10}tributary-redrive`),
    );
    expect(body).toMatch(
      new RegExp(`Errors.{0,40}FunctionName.{0,20}Redrive${pipeline.replaceAll('-', '')}Handler`),
    );
  }
  expect(body).toContain('RedrivenWaiting');
  expect(body).toContain('RedriveMessagesLeft');
}
