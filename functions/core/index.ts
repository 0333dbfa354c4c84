/** The pure core's public API: pipelines, the windowing engine, its state codec and aggregations. */
export * from './aggregations.js';
export * from './distinct-aggregate.js';
export * from './engine/state.js';
export * from './engine/state-codec.js';
export * from './engine/state-fit.js';
export * from './engine/state-partition.js';
export * from './engine/window-engine.js';
export * from './errors.js';
export * from './pipeline.js';
export * from './spec-aggregations.js';
export type * from './types.js';
export * from './window-spec.js';
