import type { BinaryOperator, JqNode } from './ast.js';
import { JqSyntaxError } from './errors.js';
import { type Token, tokenize } from './lexer.js';
import { parseStringLiteral } from './string-literal.js';

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const IDENTITY: JqNode = { kind: 'identity' };

/**
 * Parses the JQ subset Firehose users write in MetadataExtractionQuery: paths, pipes, `,`, `//`,
 * arithmetic, comparisons, `and`/`or`, object and array construction, string interpolation,
 * `if … then … elif … else … end` (1.6 requires `else`), `try … catch …`, `?`, and builtin calls.
 * Variables, `reduce`, `def` and slices are rejected with a syntax error naming them.
 */
export function parseJq(query: string): JqNode {
  const parser = new Parser(query, tokenize(query));
  const node = parser.pipe();
  parser.expectEnd();
  return node;
}

class Parser {
  private index = 0;

  constructor(
    private readonly query: string,
    private readonly tokens: readonly Token[],
  ) {}

  expectEnd(): void {
    const token = this.peek();
    if (token.kind !== 'end') this.fail(`unexpected ${describe(token)}`, token);
  }

  pipe(): JqNode {
    const left = this.comma();
    if (this.accept('|')) return { kind: 'pipe', left, right: this.pipe() };
    return left;
  }

  private comma(): JqNode {
    let left = this.alternative();
    while (this.accept(',')) left = { kind: 'comma', left, right: this.alternative() };
    return left;
  }

  private alternative(): JqNode {
    const left = this.or();
    if (this.accept('//')) return { kind: 'alternative', left, right: this.alternative() };
    return left;
  }

  private or(): JqNode {
    let left = this.and();
    while (this.acceptKeyword('or')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): JqNode {
    let left = this.comparison();
    while (this.acceptKeyword('and')) left = { kind: 'and', left, right: this.comparison() };
    return left;
  }

  private comparison(): JqNode {
    const left = this.additive();
    const token = this.peek();
    if (token.kind === 'punct' && COMPARISONS.has(token.text)) {
      this.index++;
      const right = this.additive();
      const next = this.peek();
      if (next.kind === 'punct' && COMPARISONS.has(next.text)) this.fail('comparisons do not chain', next);
      return { kind: 'binary', operator: token.text as BinaryOperator, left, right };
    }
    return left;
  }

  private additive(): JqNode {
    let left = this.multiplicative();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'punct' || (token.text !== '+' && token.text !== '-')) return left;
      this.index++;
      left = { kind: 'binary', operator: token.text, left, right: this.multiplicative() };
    }
  }

  private multiplicative(): JqNode {
    let left = this.unary();
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'punct' || !['*', '/', '%'].includes(token.text)) return left;
      this.index++;
      left = { kind: 'binary', operator: token.text as BinaryOperator, left, right: this.unary() };
    }
  }

  private unary(): JqNode {
    if (this.accept('-')) return { kind: 'negate', body: this.unary() };
    return this.postfix();
  }

  /** A term with its suffixes: `.a`, `."a"`, `[e]`, `[]`, `?`. */
  private postfix(): JqNode {
    let node = this.term();
    for (;;) {
      const token = this.peek();
      if (token.kind === 'field') {
        this.index++;
        node = { kind: 'index', target: node, key: { kind: 'literal', value: token.text } };
      } else if (token.kind === 'punct' && token.text === '.' && this.peek(1).kind === 'string') {
        this.index++;
        node = { kind: 'index', target: node, key: this.string(this.next()) };
      } else if (token.kind === 'punct' && token.text === '.' && this.peekIs('[', 1)) {
        this.index++;
      } else if (this.peekIs('[')) {
        node = this.bracketSuffix(node);
      } else if (this.accept('?')) {
        node = { kind: 'optional', body: node };
      } else {
        return node;
      }
    }
  }

  private bracketSuffix(target: JqNode): JqNode {
    this.expect('[');
    if (this.accept(']')) return { kind: 'iterate', target };
    if (this.peekIs(':')) this.fail('slices are not supported by this JQ subset', this.peek());
    const key = this.pipe();
    if (this.peekIs(':')) this.fail('slices are not supported by this JQ subset', this.peek());
    this.expect(']');
    return { kind: 'index', target, key };
  }

  private term(): JqNode {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return { kind: 'literal', value: Number(token.text) };
      case 'string':
        return this.string(token);
      case 'field':
        return { kind: 'index', target: IDENTITY, key: { kind: 'literal', value: token.text } };
      case 'ident':
        return this.callOrConstant(token);
      case 'keyword':
        if (token.text === 'if') return this.conditional();
        if (token.text === 'try') return this.tryCatch();
        return this.fail(`${describe(token)} is not supported by this JQ subset`, token);
      case 'punct':
        return this.punctTerm(token);
      default:
        return this.fail('unexpected end of query', token);
    }
  }

  private punctTerm(token: Token): JqNode {
    switch (token.text) {
      case '.':
        if (this.peek().kind === 'string')
          return { kind: 'index', target: IDENTITY, key: this.string(this.next()) };
        return IDENTITY;
      case '..':
        return { kind: 'call', name: 'recurse', args: [], position: token.position };
      case '(': {
        const inner = this.pipe();
        this.expect(')');
        return inner;
      }
      case '[': {
        if (this.accept(']')) return { kind: 'array', body: undefined };
        const body = this.pipe();
        this.expect(']');
        return { kind: 'array', body };
      }
      case '{':
        return this.object();
      case '$':
        return this.fail('variables are not supported by this JQ subset', token);
      default:
        return this.fail(`unexpected ${describe(token)}`, token);
    }
  }

  private callOrConstant(token: Token): JqNode {
    if (token.text === 'null') return { kind: 'literal', value: null };
    if (token.text === 'true') return { kind: 'literal', value: true };
    if (token.text === 'false') return { kind: 'literal', value: false };
    const args: JqNode[] = [];
    if (this.accept('(')) {
      do args.push(this.pipe());
      while (this.accept(';'));
      this.expect(')');
    }
    return { kind: 'call', name: token.text, args, position: token.position };
  }

  private conditional(): JqNode {
    const cond = this.pipe();
    this.expectKeyword('then');
    const then = this.pipe();
    if (this.acceptKeyword('elif')) return { kind: 'if', cond, then, otherwise: this.conditional() };
    // JQ 1.6 (Firehose's JsonParsingEngine) has no `if` without `else`; 1.7 added it.
    this.expectKeyword('else');
    const otherwise = this.pipe();
    this.expectKeyword('end');
    return { kind: 'if', cond, then, otherwise };
  }

  private tryCatch(): JqNode {
    const body = this.postfix();
    const handler = this.acceptKeyword('catch') ? this.postfix() : undefined;
    return { kind: 'try', body, handler };
  }

  private object(): JqNode {
    const entries: { key: JqNode; value: JqNode }[] = [];
    if (this.accept('}')) return { kind: 'object', entries };
    do {
      const token = this.next();
      let key: JqNode;
      if (token.kind === 'ident' || token.kind === 'keyword') key = { kind: 'literal', value: token.text };
      else if (token.kind === 'string') key = this.string(token);
      else if (token.kind === 'punct' && token.text === '(') {
        key = this.pipe();
        this.expect(')');
      } else return this.fail(`unexpected ${describe(token)} as an object key`, token);
      const value = this.accept(':') ? this.objectValue() : { kind: 'index' as const, target: IDENTITY, key };
      entries.push({ key, value });
    } while (this.accept(','));
    this.expect('}');
    return { kind: 'object', entries };
  }

  /** JQ's ObjVal: terms joined by `|` (so `{a: .x + 1}` is a syntax error, as in jq). */
  private objectValue(): JqNode {
    const left = this.accept('-') ? ({ kind: 'negate', body: this.postfix() } as const) : this.postfix();
    if (this.accept('|')) return { kind: 'pipe', left, right: this.objectValue() };
    return left;
  }

  private string(token: Token): JqNode {
    return parseStringLiteral(token, this.query, parseJq);
  }

  private expectKeyword(word: string): void {
    if (!this.acceptKeyword(word))
      this.fail(`expected \`${word}\` but found ${describe(this.peek())}`, this.peek());
  }

  private acceptKeyword(word: string): boolean {
    const token = this.peek();
    if (token.kind !== 'keyword' || token.text !== word) return false;
    this.index++;
    return true;
  }

  private expect(punct: string): void {
    if (!this.accept(punct)) this.fail(`expected '${punct}' but found ${describe(this.peek())}`, this.peek());
  }

  private accept(punct: string): boolean {
    if (!this.peekIs(punct)) return false;
    this.index++;
    return true;
  }

  private peekIs(punct: string, ahead = 0): boolean {
    const token = this.peek(ahead);
    return token.kind === 'punct' && token.text === punct;
  }

  private peek(ahead = 0): Token {
    const last = this.tokens[this.tokens.length - 1];
    return this.tokens[this.index + ahead] ?? (last as Token);
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private fail(message: string, token: Token): never {
    throw new JqSyntaxError(message, this.query, token.position);
  }
}

function describe(token: Token): string {
  return token.kind === 'end'
    ? 'end of query'
    : `'${token.kind === 'field' ? `.${token.text}` : token.text}'`;
}
