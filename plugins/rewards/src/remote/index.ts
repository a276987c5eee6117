export * from './function-reward';
export * from './http-reward';
