import 'reflect-metadata';

export * from './diagnostics';
export * from './contract';
export * from './plugin/kinds';
export * from './plugin/api-version';
export * from './plugin/define';
export * from './container/tokens';
export * from './recipe/types';
export * from './runtime/rng';
export * from './runtime/atomic';
export * from './runtime/run-dir';
export * from './runner/reward-set';
export * from './runner/pack';
