import { definePackage } from '@rlhfjs/core';
import { consoleLogger } from './console';
import { csvLogger } from './csv';
import { tensorboardLogger } from './tensorboard/plugin';

export { consoleLogger, csvLogger, tensorboardLogger };
export { consoleLoggerOptionsSchema, type ConsoleLoggerOptions } from './console.options';
export { csvLoggerOptionsSchema, type CsvLoggerOptions } from './csv.options';

export default definePackage({ plugins: [consoleLogger, csvLogger, tensorboardLogger] });
