export * from './cuss';
export * from './obscenity';
export * from './scorers';
