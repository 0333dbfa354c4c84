/**
 * The synthesized template (cdk.out) is missing, malformed, or asks for something the local
 * runtime cannot resolve. The message names the stack, the resource and the value received.
 */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}
