import type { JqNode, JsonValue } from './ast.js';
import { BUILTINS } from './builtins.js';
import { JqSyntaxError } from './errors.js';
import { evaluate } from './evaluate.js';
import { parseJq } from './parser.js';

export type { JsonValue } from './ast.js';
export { JqRuntimeError, JqSyntaxError } from './errors.js';
export { formatNumber, toText } from './values.js';

/** A compiled JQ filter: every output for one input, or a `JqRuntimeError`. */
export type JqFilter = (input: JsonValue) => JsonValue[];

/**
 * Compiles a query of the JQ 1.6 subset (see `parseJq`). Unknown functions fail here, at compile time,
 * with jq's wording (`nope/0 is not defined`), so a wrong template fails the run before any record.
 */
export function compileJq(query: string): JqFilter {
  const ast = parseJq(query);
  checkCalls(ast, query);
  return (input) => evaluate(ast, input);
}

function checkCalls(node: JqNode, query: string): void {
  if (node.kind === 'call' && !BUILTINS.has(`${node.name}/${node.args.length}`)) {
    throw new JqSyntaxError(`${node.name}/${node.args.length} is not defined`, query, node.position);
  }
  for (const child of children(node)) checkCalls(child, query);
}

function children(node: JqNode): JqNode[] {
  switch (node.kind) {
    case 'identity':
    case 'literal':
      return [];
    case 'template':
      return node.parts.filter((p): p is JqNode => typeof p !== 'string');
    case 'index':
      return [node.target, node.key];
    case 'iterate':
      return [node.target];
    case 'optional':
    case 'negate':
      return [node.body];
    case 'array':
      return node.body === undefined ? [] : [node.body];
    case 'object':
      return node.entries.flatMap((e) => [e.key, e.value]);
    case 'if':
      return [node.cond, node.then, ...(node.otherwise === undefined ? [] : [node.otherwise])];
    case 'try':
      return [node.body, ...(node.handler === undefined ? [] : [node.handler])];
    case 'call':
      return [...node.args];
    default:
      return [node.left, node.right];
  }
}
