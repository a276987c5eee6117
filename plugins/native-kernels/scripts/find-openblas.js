#!/usr/bin/env node
'use strict';
/**
 * Prints 1 when the addon should link OpenBLAS, else 0 (binding.gyp reads it as `have_openblas`).
 * 0 when RLHF_NATIVE_GEMM asks for the own GEMM at build time (`own`, `own-*`), or when no cblas.h
 * is found in the include folders binding.gyp lists; the addon then compiles its own GEMM only.
 */
const fs = require('node:fs');
const path = require('node:path');

const INCLUDE_DIRS = [
  '/usr/include/x86_64-linux-gnu/openblas-pthread',
  '/usr/include/aarch64-linux-gnu/openblas-pthread',
  '/usr/include/openblas',
];

function haveOpenBlas(env = process.env) {
  if ((env.RLHF_NATIVE_GEMM || '').startsWith('own')) return false;
  if (process.platform === 'win32') return false;
  return INCLUDE_DIRS.some((dir) => fs.existsSync(path.join(dir, 'cblas.h')));
}

module.exports = { haveOpenBlas, INCLUDE_DIRS };
if (require.main === module) process.stdout.write(haveOpenBlas() ? '1' : '0');
