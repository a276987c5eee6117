#!/usr/bin/env node
'use strict';
/**
 * Builds the native addon at install time. A failed build is not an install failure: the package
 * stays installed, `nativeKernelsAvailable()` reports why the addon is missing and how to build it,
 * and tfjs keeps its stock wasm kernels. Set RLHFJS_NATIVE_KERNELS_STRICT=1 to fail the install
 * instead (CI images that must ship the addon).
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const FIX = 'apt-get install libopenblas-dev g++ make python3 && npm rebuild @rlhfjs/native-kernels';

if (process.env.RLHFJS_NATIVE_KERNELS === 'off') {
  console.log('@rlhfjs/native-kernels: RLHFJS_NATIVE_KERNELS=off, skipping the native build');
  process.exit(0);
}

/** node-gyp: the copy npm runs install scripts with, else a local one, else the one on PATH. */
function nodeGypCommand() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && fs.existsSync(fromNpm)) return [process.execPath, [fromNpm]];
  try {
    return [process.execPath, [require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] })]];
  } catch {
    return ['node-gyp', []];
  }
}

const [cmd, pre] = nodeGypCommand();
const args = [...pre, 'rebuild'];
// Distribution builds of Node (Debian's /usr/bin/node) ship their headers under <prefix>/include/node;
// pointing node-gyp there avoids a header download, which fails on machines without internet.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
  args.push(`--nodedir=${prefix}`);
}

const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (result.status === 0) process.exit(0);

const why = result.error ? result.error.message : `node-gyp exited with status ${result.status}`;
console.warn(
  `\n@rlhfjs/native-kernels: the native addon did not build (${why}).\n` +
    'tfjs keeps its stock wasm kernels, which is correct but slower.\n' +
    `To turn native kernels on: ${FIX}\n`,
);
process.exit(process.env.RLHFJS_NATIVE_KERNELS_STRICT === '1' ? 1 : 0);
