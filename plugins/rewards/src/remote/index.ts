export * from './function-reward';
export * from './http-reward';
export * from './function.options';
export * from './http.options';
