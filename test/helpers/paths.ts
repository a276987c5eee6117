import * as path from 'node:path';

/** The repository's root folder. */
export const REPO = path.resolve(__dirname, '..', '..');

/** A third-party plugin package written in plain JavaScript, outside every workspace. */
export const FIXTURE_PLUGIN = path.join(REPO, 'test', 'fixtures', 'external-plugin');
