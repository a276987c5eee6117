'use strict';
// The one file bench/gpu/pack.sh bundles with esbuild: the rlhf CLI, the four plugin packages and
// the GPU check, from the built packages (dist/). The plugin packages are handed to the recipe
// loader through small stub packages next to the bundle (node_modules/@rlhfjs/plugin-*/index.js,
// written by pack.sh), which return the copies bundled here.
//   node rlhfjs.js cli <rlhf arguments…>     the rlhf command
//   node rlhfjs.js check [--quick] [--out f]  the GPU check (bench/gpu/check.js)
require('reflect-metadata');

globalThis.__rlhfjsBundledPlugins = {
  '@rlhfjs/plugin-lm': require('@rlhfjs/plugin-lm'),
  '@rlhfjs/plugin-rewards': require('@rlhfjs/plugin-rewards'),
  '@rlhfjs/plugin-algorithms': require('@rlhfjs/plugin-algorithms'),
  '@rlhfjs/plugin-loggers': require('@rlhfjs/plugin-loggers'),
};

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'cli') {
  process.argv = [process.argv[0], process.argv[1], ...rest];
  require('../../core/dist/cli/main.js').run();
} else if (cmd === 'check') {
  require('./check.js')
    .main(rest)
    .then(
      (code) => {
        process.exitCode = code;
      },
      (err) => {
        console.error(err && err.stack ? err.stack : String(err));
        process.exitCode = 1;
      },
    );
} else {
  console.error('usage: node rlhfjs.js cli <rlhf arguments…> | check [--quick] [--out results.json] [--cpu-only]');
  process.exitCode = 2;
}
