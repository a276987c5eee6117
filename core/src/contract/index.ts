export * from './tensor-runtime';
export * from './agent';
export * from './environment';
export * from './reward';
export * from './algorithm';
export * from './kl-controller';
export * from './logger';
export * from './job';
