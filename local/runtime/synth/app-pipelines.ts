import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseContext } from '../../../infra/context.js';
import { projectRoot } from '../../tools/state-dir.js';

/**
 * The pipelines the local app deploys: cdk.json's `pipelines` context, which every synthesis here
 * uses (only `--stage` and `--transport` are given on top). Undefined when cdk.json cannot tell;
 * synthesis then says what is wrong with it.
 */
export function appPipelines(root = projectRoot): readonly string[] | undefined {
  try {
    const cdk = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
      context?: Record<string, unknown>;
    };
    return parseContext(cdk.context ?? {}).pipelines;
  } catch {
    return undefined;
  }
}

/**
 * Why a registered pipeline cannot run locally, or undefined: one missing from cdk.json is not in
 * the synthesized app, and would fail only after LocalStack started and the app was synthesized.
 */
export function notInApp(pipeline: string, root = projectRoot): string | undefined {
  const deployed = appPipelines(root);
  if (deployed === undefined || deployed.includes(pipeline)) return undefined;
  return (
    `pipeline ${JSON.stringify(pipeline)} is registered but the app does not deploy it: add it to ` +
    `"pipelines" in cdk.json's context (now ${deployed.join(',')})`
  );
}
