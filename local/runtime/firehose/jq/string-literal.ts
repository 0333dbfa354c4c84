import type { JqNode } from './ast.js';
import { JqSyntaxError } from './errors.js';
import type { Token } from './lexer.js';

/**
 * Decodes a string token: JSON escapes, and `\(…)` interpolations parsed with `parseQuery` into a
 * template node (`"\(.a)-\(.b)"`).
 */
export function parseStringLiteral(
  token: Token,
  query: string,
  parseQuery: (text: string) => JqNode,
): JqNode {
  const parts: (string | JqNode)[] = [];
  const body = token.text;
  let literal = '';
  let i = 0;
  while (i < body.length) {
    if (body[i] === '\\' && body[i + 1] === '(') {
      const close = findClose(body, i + 2);
      if (literal !== '') parts.push(decode(literal, query, token.position));
      literal = '';
      parts.push(parseQuery(body.slice(i + 2, close)));
      i = close + 1;
      continue;
    }
    literal += body[i] === '\\' ? body.slice(i, i + 2) : body[i];
    i += body[i] === '\\' ? 2 : 1;
  }
  if (literal !== '' || parts.length === 0) parts.push(decode(literal, query, token.position));
  if (parts.length === 1 && typeof parts[0] === 'string') return { kind: 'literal', value: parts[0] };
  return { kind: 'template', parts };
}

function findClose(body: string, from: number): number {
  let depth = 1;
  let inString = false;
  for (let i = from; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '"') inString = !inString;
    if (inString) continue;
    if (ch === '(') depth++;
    if (ch === ')' && --depth === 0) return i;
  }
  return body.length;
}

function decode(raw: string, query: string, position: number): string {
  try {
    const value: unknown = JSON.parse(`"${raw}"`);
    if (typeof value === 'string') return value;
  } catch {
    // fall through to the syntax error below
  }
  throw new JqSyntaxError(`invalid string literal "${raw}"`, query, position);
}
