export * from './diagnostic';
export * from './format';
export * from './suggest';
