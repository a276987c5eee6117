export * from './labeller';
export * from './keys';
export * from './terminal';
export * from './simulated';
export * from './replay';
export * from './web/server';
