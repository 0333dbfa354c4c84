import { describe, expect, it } from 'vitest';
import { findFunction, listFunctions, touchedResources } from '../../../../local/runtime/invoke/index.js';
import { CloudAssembly, readLambdaFunction } from '../../../../local/runtime/template/index.js';
import { writeAppAssembly } from './app-template.js';

const assembly = CloudAssembly.load(writeAppAssembly());

describe('listFunctions', () => {
  it('lists every function with its construct path, handler and event sources', () => {
    // Act
    const entries = listFunctions(assembly);

    // Assess
    expect(entries.map((e) => [e.path, e.logicalId, e.handler, e.sources.map((s) => s.kind)])).toEqual([
      ['App/Producer/Handler/Function', 'Producer', 'index.handler', ['function-url']],
      ['App/Aggregator-orders/Handler/Function', 'Aggregator', 'index.handler', ['kinesis']],
      ['App/Aggregator-orders/IdleFlush/Function', 'IdleFlush', 'index.handler', ['scheduled']],
      ['App/Thrower/Function', 'Thrower', 'index.thrower', []],
    ]);
    expect(entries[1]?.sources[0]?.description).toBe('Kinesis app-orders (batch 500, batching window 0 s)');
    expect(entries[2]?.sources[0]?.description).toBe('EventBridge schedule rate(1 minute)');
  });
});

describe('findFunction', () => {
  const entries = listFunctions(assembly);

  it.each([
    'App/Aggregator-orders/Handler/Function',
    'Aggregator-orders/Handler/Function',
    'Aggregator-orders/Handler',
    'App/Aggregator-orders/Handler',
    'Aggregator',
  ])('finds the aggregator by %s', (query) => {
    // Act
    const entry = findFunction(entries, query);

    // Assess
    expect(entry.logicalId).toBe('Aggregator');
  });

  it('finds a function by its local name', () => {
    // Prepare
    const name = entries[0]?.name ?? '';

    // Act
    const entry = findFunction(entries, name);

    // Assess
    expect(entry.logicalId).toBe('Producer');
  });

  it('names the query and lists the known functions when nothing matches', () => {
    // Act
    const act = () => findFunction(entries, 'Aggregator-orders');

    // Assess
    expect(act).toThrow(/unknown function "Aggregator-orders"/);
    expect(act).toThrow(/App\/Producer\/Handler\/Function {2}\(Producer\)/);
    expect(act).toThrow(/App\/Aggregator-orders\/IdleFlush\/Function {2}\(IdleFlush\)/);
  });
});

describe('touchedResources', () => {
  it('finds the resources an environment names by Ref and inside a JSON variable', () => {
    // Prepare
    const spec = (id: string) => readLambdaFunction(assembly, assembly.find(id, 'AWS::Lambda::Function'));
    const ids = (id: string) => touchedResources(assembly, spec(id).environment).map((r) => r.logicalId);

    // Act and Assess
    expect(ids('Producer')).toEqual(['Stream']);
    expect(ids('Aggregator')).toEqual(['State', 'Dlq']);
  });
});
