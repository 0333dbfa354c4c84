/**
 * Reading the synthesized CDK app (cdk.out) for the local runtime. Small on purpose; the runners
 * (event source mappings, Firehose delivery, `tributary invoke`) all read the template through it:
 *
 * - `CloudAssembly.load(dir?, context?)`: every stack of cdk.out; `assembly.resources(type)` and
 *   `assembly.find(logicalIdOrPathOrNameOrArn, type?)`.
 * - `TemplateResource`: `physicalName` (the local name: explicit name property, else a
 *   deterministic `<stack>-<logicalId>-<hash>`), `ref`, `arn`, `getAtt(attr)`, and `properties()`
 *   with Ref / Fn::GetAtt / Fn::Join / Fn::Sub / Fn::Select / Fn::Split / Fn::If / Fn::ImportValue
 *   resolved to local names and ARNs.
 * - `readLambdaFunction(assembly, resource)`: a function's settings, environment and bundle.
 * - `defaultLocalContext()`: region, account, partition and endpoint used in names and ARNs.
 */
export { CloudAssembly, defaultAssemblyDir } from './cloud-assembly.js';
export { TemplateError } from './errors.js';
export { type LambdaFunctionSpec, readLambdaFunction } from './lambda-function.js';
export { defaultLocalContext, type LocalAwsContext } from './local-context.js';
export { StackTemplate, TemplateResource } from './stack-template.js';
