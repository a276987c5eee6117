export * from './cuss';
export * from './obscenity';
export * from './scorers';
export * from './cuss-toxicity.options';
export * from './obscenity-toxicity.options';
