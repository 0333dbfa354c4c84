import { TemplateError } from './errors.js';

/** What the resolver asks of the template it resolves in. */
export interface IntrinsicScope {
  /** `Ref` of a parameter, pseudo parameter or resource. */
  ref(name: string, where: string): unknown;
  getAtt(logicalId: string, attribute: string, where: string): unknown;
  importValue(exportName: string, where: string): unknown;
  condition(name: string, where: string): boolean;
}

/** `Ref: AWS::NoValue` removes the property or list element that holds it. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Resolves CloudFormation's intrinsic functions in a template value: Ref, Fn::GetAtt, Fn::Join,
 * Fn::Sub, Fn::Select, Fn::Split, Fn::If, Fn::ImportValue, Fn::Base64, Fn::GetAZs, and the
 * condition functions. `where` names the value in error messages (`Stack/Resource.Properties.X`).
 */
export function resolveIntrinsics(value: unknown, scope: IntrinsicScope, where: string): unknown {
  const resolved = resolve(value, scope, where);
  return resolved === NO_VALUE ? undefined : resolved;
}

function resolve(value: unknown, scope: IntrinsicScope, where: string): unknown {
  if (Array.isArray(value)) {
    return value.map((v, i) => resolve(v, scope, `${where}[${i}]`)).filter((v) => v !== NO_VALUE);
  }
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    return intrinsic(first[0], first[1], scope, where);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    const r = resolve(v, scope, `${where}.${key}`);
    if (r !== NO_VALUE) out[key] = r;
  }
  return out;
}

function intrinsic(name: string, arg: unknown, scope: IntrinsicScope, where: string): unknown {
  const at = `${where} (${name})`;
  switch (name) {
    case 'Ref': {
      const target = str(arg, at);
      return target === 'AWS::NoValue' ? NO_VALUE : scope.ref(target, at);
    }
    case 'Fn::GetAtt': {
      const parts = typeof arg === 'string' ? splitOnce(arg, '.') : list(resolve(arg, scope, at), at);
      const [logicalId, attribute] = parts;
      if (parts.length !== 2)
        throw new TemplateError(`${at}: expected [logicalId, attribute] (given ${j(arg)})`);
      return scope.getAtt(str(logicalId, at), str(attribute, at), at);
    }
    case 'Fn::Join': {
      const [delimiter, items] = list(arg, at);
      return list(resolve(items, scope, at), at)
        .map((v) => scalar(v, at))
        .join(str(delimiter, at));
    }
    case 'Fn::Sub':
      return sub(arg, scope, at);
    case 'Fn::Select': {
      const [index, items] = list(arg, at);
      const i = Number(resolve(index, scope, at));
      const all = list(resolve(items, scope, at), at);
      if (!Number.isInteger(i) || i < 0 || i >= all.length) {
        throw new TemplateError(`${at}: index ${j(index)} outside a list of ${all.length}`);
      }
      return all[i];
    }
    case 'Fn::Split': {
      const [delimiter, source] = list(arg, at);
      return str(resolve(source, scope, at), at).split(str(delimiter, at));
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = list(arg, at);
      return resolve(scope.condition(str(condition, at), at) ? whenTrue : whenFalse, scope, at);
    }
    case 'Fn::ImportValue':
      return scope.importValue(str(resolve(arg, scope, at), at), at);
    case 'Fn::Base64':
      return Buffer.from(str(resolve(arg, scope, at), at)).toString('base64');
    case 'Fn::GetAZs': {
      const region = str(resolve(arg, scope, at), at) || str(scope.ref('AWS::Region', at), at);
      return ['a', 'b', 'c'].map((zone) => `${region}${zone}`);
    }
    case 'Fn::Equals': {
      const [a, b] = list(resolve(arg, scope, at), at);
      return j(a) === j(b);
    }
    case 'Fn::Not':
      return !truth(list(resolve(arg, scope, at), at)[0], scope, at);
    case 'Fn::And':
      return list(resolve(arg, scope, at), at).every((v) => truth(v, scope, at));
    case 'Fn::Or':
      return list(resolve(arg, scope, at), at).some((v) => truth(v, scope, at));
    default:
      throw new TemplateError(`${where}: intrinsic function ${name} is not supported by the local runtime`);
  }
}

/** `${Name}`, `${Resource.Attribute}`, `${!Literal}`, with optional variables. */
function sub(arg: unknown, scope: IntrinsicScope, at: string): string {
  const [template, variables] = typeof arg === 'string' ? [arg, {}] : list(arg, at);
  const vars = resolve(variables ?? {}, scope, at);
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) {
    throw new TemplateError(`${at}: expected a variable map (given ${j(variables)})`);
  }
  return str(template, at).replace(/\$\{([^}]*)\}/g, (_match, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(vars, name)) return scalar((vars as Record<string, unknown>)[name], at);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) {
      return scalar(scope.getAtt(name.slice(0, dot), name.slice(dot + 1), at), at);
    }
    return scalar(scope.ref(name, at), at);
  });
}

function truth(value: unknown, scope: IntrinsicScope, at: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'object' && value !== null && 'Condition' in value) {
    return scope.condition(str(value.Condition, at), at);
  }
  throw new TemplateError(`${at}: expected a condition (given ${j(value)})`);
}

function list(value: unknown, at: string): unknown[] {
  if (!Array.isArray(value)) throw new TemplateError(`${at}: expected a list (given ${j(value)})`);
  return value;
}

function str(value: unknown, at: string): string {
  if (typeof value !== 'string') throw new TemplateError(`${at}: expected a string (given ${j(value)})`);
  return value;
}

function scalar(value: unknown, at: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new TemplateError(`${at}: expected a string or number (given ${j(value)})`);
}

function splitOnce(text: string, separator: string): string[] {
  const i = text.indexOf(separator);
  return i < 0 ? [text] : [text.slice(0, i), text.slice(i + 1)];
}

function j(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
