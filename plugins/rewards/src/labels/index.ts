export * from './format';
export * from './reader';
export * from './appender';
