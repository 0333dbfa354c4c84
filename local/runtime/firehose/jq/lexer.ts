import { JqSyntaxError } from './errors.js';

export type TokenKind = 'number' | 'string' | 'ident' | 'field' | 'punct' | 'keyword' | 'end';

/** One token; strings keep their raw body (interpolation is parsed later). */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly position: number;
}

const KEYWORDS = new Set([
  'if',
  'then',
  'elif',
  'else',
  'end',
  'and',
  'or',
  'try',
  'catch',
  'as',
  'def',
  'reduce',
  'foreach',
  'label',
]);
// Longest first so that `//` wins over `/` and `==` over `=`.
const PUNCTUATION = [
  '//',
  '==',
  '!=',
  '<=',
  '>=',
  '|=',
  '+=',
  '-=',
  '..',
  '|',
  ',',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '{',
  '}',
  ':',
  ';',
  '?',
  '=',
  '.',
  '$',
];

/** Splits a JQ query into tokens. */
export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i] ?? '';
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < query.length && query[i] !== '\n') i++;
      continue;
    }
    const start = i;
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(query[i + 1] ?? ''))) {
      const match = /^(?:[0-9]*\.?[0-9]+|[0-9]+\.)(?:[eE][+-]?[0-9]+)?/.exec(query.slice(i));
      const text = match?.[0] ?? ch;
      tokens.push({ kind: 'number', text, position: start });
      i += text.length;
      continue;
    }
    if (ch === '"') {
      i = readString(query, i);
      tokens.push({ kind: 'string', text: query.slice(start + 1, i - 1), position: start });
      continue;
    }
    if (ch === '.' && /[A-Za-z_]/.test(query[i + 1] ?? '')) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i + 1));
      const name = match?.[0] ?? '';
      tokens.push({ kind: 'field', text: name, position: start });
      i += 1 + name.length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*/.exec(query.slice(i));
      const name = match?.[0] ?? ch;
      tokens.push({ kind: KEYWORDS.has(name) ? 'keyword' : 'ident', text: name, position: start });
      i += name.length;
      continue;
    }
    const punct = PUNCTUATION.find((p) => query.startsWith(p, i));
    if (punct === undefined) throw new JqSyntaxError(`unexpected character ${JSON.stringify(ch)}`, query, i);
    tokens.push({ kind: 'punct', text: punct, position: start });
    i += punct.length;
  }
  tokens.push({ kind: 'end', text: '', position: query.length });
  return tokens;
}

/** Returns the index after the closing quote, skipping escapes and `\( ... )` interpolations. */
function readString(query: string, openQuote: number): number {
  let i = openQuote + 1;
  while (i < query.length) {
    const ch = query[i];
    if (ch === '"') return i + 1;
    if (ch === '\\' && query[i + 1] === '(') {
      i = skipInterpolation(query, i + 2);
      continue;
    }
    i += ch === '\\' ? 2 : 1;
  }
  throw new JqSyntaxError('unterminated string', query, openQuote);
}

function skipInterpolation(query: string, from: number): number {
  let depth = 1;
  let i = from;
  while (i < query.length && depth > 0) {
    const ch = query[i];
    if (ch === '"') {
      i = readString(query, i);
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    i++;
  }
  if (depth > 0) throw new JqSyntaxError('unterminated string interpolation', query, from);
  return i;
}
