import { definePackage } from '@rlhfjs/core';
import { consoleLogger } from './console';
import { csvLogger } from './csv';

export { consoleLogger, csvLogger };

export default definePackage({ plugins: [consoleLogger, csvLogger] });
