import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PolicyModel } from '../contract/agent';
import type { TF } from '../contract/tensor-runtime';
import { atomicWriteFileSync } from '../runtime/atomic';
import { encodeSafetensors, readSafetensors, type NamedTensor } from '../runtime/safetensors';

/** The key of a run in queues and in the weights folder: its folder's name and a hash of its absolute path. */
export function runKey(runDir: string): string {
  const abs = path.resolve(runDir);
  const name = path.basename(abs).replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${name}-${crypto.createHash('sha256').update(abs).digest('hex').slice(0, 10)}`;
}

/** Where version `version` of a run's policy lives, relative to the weights folder. */
export function weightsFile(run: string, version: number): string {
  return path.join(run, `v-${String(version).padStart(6, '0')}.safetensors`);
}

/** The identity a published weight file carries in its safetensors metadata. */
export interface WeightsIdentity {
  run: string;
  attempt: string;
  version: number;
}

/**
 * Publish the policy's weights as version `id.version`: written to a temporary file and renamed
 * (a reader sees the whole file or none), with the run, attempt and version in its metadata.
 * Versions older than the `keep` newest are deleted. Returns the file, relative to `root`.
 */
export async function publishWeights(root: string, policy: PolicyModel, id: WeightsIdentity, keep = 3): Promise<string> {
  const host = new Map<string, NamedTensor>();
  for (const [name, t] of policy.namedWeights()) host.set(name, { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape, data: (await t.data()) as Float32Array | Int32Array });
  const rel = weightsFile(id.run, id.version);
  atomicWriteFileSync(path.join(root, rel), encodeSafetensors(host, { run: id.run, attempt: id.attempt, version: String(id.version) }));
  const dir = path.join(root, id.run);
  for (const f of fs.readdirSync(dir)) {
    const m = /^v-(\d+)\.safetensors$/.exec(f);
    if (m && Number(m[1]) <= id.version - keep) fs.rmSync(path.join(dir, f), { force: true });
  }
  return rel;
}

/**
 * Load a published version into `policy`, after checking that the file is the one asked for
 * (run, attempt and version in its metadata). Throws an Error that names the file and the reason.
 */
export function loadPublishedWeights(tf: TF, policy: PolicyModel, root: string, rel: string, want: WeightsIdentity): void {
  const file = path.join(root, rel);
  let meta: Record<string, string>;
  let tensors: Map<string, NamedTensor>;
  try {
    const read = readSafetensors(file);
    meta = read.metadata ?? {};
    tensors = read.tensors;
  } catch (err) {
    throw new Error(`cannot load policy version ${want.version} of run ${want.run} from ${file}: ${(err as Error).message}`);
  }
  if (meta.run !== want.run || meta.attempt !== want.attempt || meta.version !== String(want.version)) {
    throw new Error(`${file} holds policy version ${meta.version ?? '?'} of run ${meta.run ?? '?'} (attempt ${meta.attempt ?? '?'}), not version ${want.version} of run ${want.run} (attempt ${want.attempt}): the weights folder is not the trainer's, or the file was replaced`);
  }
  const weights = new Map<string, ReturnType<TF['tensor']>>();
  try {
    for (const [name, t] of tensors) weights.set(name, tf.tensor(t.data, t.shape, t.dtype === 'I32' ? 'int32' : 'float32'));
    policy.loadNamedWeights(weights);
  } catch (err) {
    throw new Error(`cannot load policy version ${want.version} from ${file} into this worker's policy: ${(err as Error).message}`);
  } finally {
    for (const t of weights.values()) t.dispose();
  }
}
