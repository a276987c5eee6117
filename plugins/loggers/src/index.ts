import { definePackage } from '@rlhfjs/core';
import { consoleLogger } from './console';
import { csvLogger } from './csv';

export { consoleLogger, csvLogger };
export { consoleLoggerOptionsSchema, type ConsoleLoggerOptions } from './console.options';
export { csvLoggerOptionsSchema, type CsvLoggerOptions } from './csv.options';

export default definePackage({ plugins: [consoleLogger, csvLogger] });
