import type { JqNode, JsonValue } from './ast.js';
import { BUILTINS } from './builtins.js';
import { JqRuntimeError } from './errors.js';
import {
  arithmetic,
  compare,
  indexValue,
  isObject,
  type JsonObject,
  toText,
  truthy,
  typeOf,
} from './values.js';

/** Evaluates a node on one input; JQ filters produce a stream, here an array of outputs. */
export function evaluate(node: JqNode, input: JsonValue): JsonValue[] {
  switch (node.kind) {
    case 'identity':
      return [input];
    case 'literal':
      return [node.value];
    case 'template':
      return template(node.parts, input);
    case 'index':
      return cross(node.target, node.key, input, (target, key) => indexValue(target, key));
    case 'iterate':
      return evaluate(node.target, input).flatMap(iterate);
    case 'optional':
      try {
        return evaluate(node.body, input);
      } catch (error) {
        if (error instanceof JqRuntimeError) return [];
        throw error;
      }
    case 'pipe':
      return evaluate(node.left, input).flatMap((value) => evaluate(node.right, value));
    case 'comma':
      return [...evaluate(node.left, input), ...evaluate(node.right, input)];
    case 'alternative':
      return alternative(node.left, node.right, input);
    case 'and':
    case 'or':
      return logical(node.kind, node.left, node.right, input);
    case 'binary':
      return binary(node.operator, node.left, node.right, input);
    case 'negate':
      return evaluate(node.body, input).map((value) => {
        if (typeof value !== 'number') throw new JqRuntimeError(`${typeOf(value)} cannot be negated`);
        return -value;
      });
    case 'array':
      return [node.body === undefined ? [] : evaluate(node.body, input)];
    case 'object':
      return construct(node.entries, input);
    case 'if':
      return evaluate(node.cond, input).flatMap((cond) => {
        if (truthy(cond)) return evaluate(node.then, input);
        return node.otherwise === undefined ? [input] : evaluate(node.otherwise, input);
      });
    case 'try':
      return attempt(node.body, node.handler, input);
    case 'call':
      return call(node, input);
  }
}

function iterate(value: JsonValue): JsonValue[] {
  if (Array.isArray(value)) return value;
  if (isObject(value)) return Object.values(value);
  throw new JqRuntimeError(
    `Cannot iterate over ${typeOf(value)}${value === null ? '' : ` (${toText(value)})`}`,
  );
}

/** jq evaluates the right operand in the outer loop: `(1,2) + (10,20)` is 11, 12, 21, 22. */
function cross(
  left: JqNode,
  right: JqNode,
  input: JsonValue,
  combine: (a: JsonValue, b: JsonValue) => JsonValue,
): JsonValue[] {
  const rights = evaluate(right, input);
  const lefts = evaluate(left, input);
  return rights.flatMap((b) => lefts.map((a) => combine(a, b)));
}

function binary(operator: string, left: JqNode, right: JqNode, input: JsonValue): JsonValue[] {
  return cross(left, right, input, (a, b) => {
    switch (operator) {
      case '==':
        return compare(a, b) === 0;
      case '!=':
        return compare(a, b) !== 0;
      case '<':
        return compare(a, b) < 0;
      case '<=':
        return compare(a, b) <= 0;
      case '>':
        return compare(a, b) > 0;
      case '>=':
        return compare(a, b) >= 0;
      default:
        return arithmetic(operator, a, b);
    }
  });
}

function logical(kind: 'and' | 'or', left: JqNode, right: JqNode, input: JsonValue): JsonValue[] {
  return evaluate(left, input).flatMap((a) => {
    if (kind === 'and' && !truthy(a)) return [false];
    if (kind === 'or' && truthy(a)) return [true];
    return evaluate(right, input).map(truthy);
  });
}

function alternative(left: JqNode, right: JqNode, input: JsonValue): JsonValue[] {
  let values: JsonValue[] = [];
  try {
    values = evaluate(left, input).filter(truthy);
  } catch (error) {
    if (!(error instanceof JqRuntimeError)) throw error;
  }
  return values.length > 0 ? values : evaluate(right, input);
}

function attempt(body: JqNode, handler: JqNode | undefined, input: JsonValue): JsonValue[] {
  try {
    return evaluate(body, input);
  } catch (error) {
    if (!(error instanceof JqRuntimeError)) throw error;
    return handler === undefined ? [] : evaluate(handler, error.message);
  }
}

function template(parts: readonly (string | JqNode)[], input: JsonValue): JsonValue[] {
  let outputs = [''];
  for (const part of parts) {
    if (typeof part === 'string') {
      outputs = outputs.map((text) => text + part);
      continue;
    }
    const values = evaluate(part, input).map(toText);
    outputs = values.flatMap((value) => outputs.map((text) => text + value));
  }
  return outputs;
}

function construct(entries: readonly { key: JqNode; value: JqNode }[], input: JsonValue): JsonValue[] {
  let objects: JsonObject[] = [{}];
  for (const entry of entries) {
    const keys = evaluate(entry.key, input);
    const values = evaluate(entry.value, input);
    const next: JsonObject[] = [];
    for (const key of keys) {
      if (typeof key !== 'string') {
        throw new JqRuntimeError(`Object keys must be strings`);
      }
      for (const value of values) for (const object of objects) next.push({ ...object, [key]: value });
    }
    objects = next;
  }
  return objects;
}

function call(node: Extract<JqNode, { kind: 'call' }>, input: JsonValue): JsonValue[] {
  const builtin = BUILTINS.get(`${node.name}/${node.args.length}`);
  if (builtin === undefined) throw new JqRuntimeError(`${node.name}/${node.args.length} is not defined`);
  return builtin(input, node.args, evaluate);
}
