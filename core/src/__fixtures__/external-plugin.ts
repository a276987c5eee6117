import * as path from 'node:path';

/**
 * A third-party plugin package written in plain JavaScript, outside every workspace (a data folder
 * shared with the end-to-end tests, loaded by path the way core loads any installed plugin).
 */
export const FIXTURE_PLUGIN = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'external-plugin');
