import { join } from 'node:path';
import type { LambdaFunctionSpec } from '../../../../local/runtime/template/index.js';
import { projectRoot } from '../../../../local/tools/state-dir.js';

/** A function spec running one export of test/fixtures/handlers/basic/index.mjs. */
export function basicSpec(
  exportName: string,
  overrides: Partial<LambdaFunctionSpec> = {},
): LambdaFunctionSpec {
  const codeDir = join(projectRoot, 'test', 'fixtures', 'handlers', 'basic');
  return {
    logicalId: 'BasicFunction',
    stackName: 'Test',
    constructPath: 'Test/Basic/Resource',
    name: `basic-${exportName}`,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:basic-${exportName}`,
    handler: `index.${exportName}`,
    runtime: 'nodejs22.x',
    timeoutSeconds: 3,
    memoryMb: 128,
    environment: { TABLE: 'local-table' },
    roleArn: 'arn:aws:iam::000000000000:role/basic',
    logFormat: 'Text',
    logGroup: `/aws/lambda/basic-${exportName}`,
    reservedConcurrency: undefined,
    codeDir,
    entryFile: join(codeDir, 'index.mjs'),
    exportName,
    ...overrides,
  };
}
