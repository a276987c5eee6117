'use strict';
// Loaded with `node -r` by the bench scripts: on exit, write the process's peak RSS (KiB) and, when
// the wasm backend is active, the size of its heap (which only grows, so it is its high-water mark).
process.on('exit', () => {
  let wasmHeap = null;
  try {
    const tf = require('@tensorflow/tfjs-core');
    const b = tf.engine().backendInstance;
    if (b && b.wasm && b.wasm.HEAPU8) wasmHeap = b.wasm.HEAPU8.byteLength;
  } catch {
    // no tfjs in this process
  }
  process.stderr.write(`\nBENCH-MEMORY ${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, wasmHeapBytes: wasmHeap })}\n`);
});
