/** A JSON value as JQ sees it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type BinaryOperator = '+' | '-' | '*' | '/' | '%' | '==' | '!=' | '<' | '<=' | '>' | '>=';

/** Syntax tree of the JQ subset; every node evaluates to a stream (zero or more values). */
export type JqNode =
  | { readonly kind: 'identity' }
  | { readonly kind: 'literal'; readonly value: JsonValue }
  | { readonly kind: 'template'; readonly parts: readonly (string | JqNode)[] }
  | { readonly kind: 'index'; readonly target: JqNode; readonly key: JqNode }
  | { readonly kind: 'iterate'; readonly target: JqNode }
  | { readonly kind: 'optional'; readonly body: JqNode }
  | { readonly kind: 'pipe'; readonly left: JqNode; readonly right: JqNode }
  | { readonly kind: 'comma'; readonly left: JqNode; readonly right: JqNode }
  | { readonly kind: 'alternative'; readonly left: JqNode; readonly right: JqNode }
  | { readonly kind: 'and' | 'or'; readonly left: JqNode; readonly right: JqNode }
  | {
      readonly kind: 'binary';
      readonly operator: BinaryOperator;
      readonly left: JqNode;
      readonly right: JqNode;
    }
  | { readonly kind: 'negate'; readonly body: JqNode }
  | { readonly kind: 'array'; readonly body: JqNode | undefined }
  | { readonly kind: 'object'; readonly entries: readonly { key: JqNode; value: JqNode }[] }
  | {
      readonly kind: 'if';
      readonly cond: JqNode;
      readonly then: JqNode;
      readonly otherwise: JqNode | undefined;
    }
  | { readonly kind: 'try'; readonly body: JqNode; readonly handler: JqNode | undefined }
  | {
      readonly kind: 'call';
      readonly name: string;
      readonly args: readonly JqNode[];
      readonly position: number;
    };
