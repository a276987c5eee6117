import type * as tfc from '@tensorflow/tfjs-core';
import { DiagnosticError, type ModelLoader, type PolicyModel, type RewardSample, type Rng, type TF } from '@rlhfjs/core';

/** The key in a checkpoint's config.json that marks it as a reward model. */
export const REWARD_MODEL_KEY = 'rlhfjs_reward_model';

/**
 * A reward model: a policy model with a value head, read at the last token of prompt + completion.
 * Any agent plugin's model that implements `values` can back it; it is loaded through
 * `Tokens.Models`, which asks the agent plugin that wrote the checkpoint. Initialised from a policy
 * checkpoint (the head freshly drawn), saved as that model's checkpoint whose config.json carries
 * {@link REWARD_MODEL_KEY}.
 */
export class RewardModel {
  constructor(
    readonly tf: TF,
    readonly model: PolicyModel,
  ) {
    if (!model.hasValueHead || typeof model.values !== 'function') {
      throw new DiagnosticError({
        code: 'reward-model/no-value-head',
        message: model.hasValueHead ? 'the model behind the reward model does not implement values(batch), so no scalar can be read from it' : 'the model behind the reward model has no value head',
        fix: 'build the reward model on a policy model with a value head that implements values(batch) (the gpt agent of @rlhfjs/plugin-lm does)',
      });
    }
  }

  /** Start from a policy checkpoint, adding a scalar head drawn from `rng`. */
  static async fromPolicy(tf: TF, models: ModelLoader, dir: string, rng: Rng): Promise<RewardModel> {
    return new RewardModel(tf, await models.load(dir, { valueHead: true, rng, trainable: true }));
  }

  static async load(tf: TF, models: ModelLoader, dir: string, opts: { trainable?: boolean; pointer?: string } = {}): Promise<{ rm: RewardModel; info: Record<string, unknown> }> {
    const where = { file: dir, pointer: `${opts.pointer ?? '/rewards'}/options/checkpoint`, plugin: 'reward/reward-model' };
    let cfg: Record<string, unknown>;
    try {
      cfg = models.readConfig(dir);
    } catch (err) {
      if (!DiagnosticError.is(err) || err.diagnostics[0].code !== 'checkpoint/missing') throw err;
      throw new DiagnosticError({ ...where, code: 'reward-model/missing', message: `no checkpoint at ${dir} (config.json not found)`, fix: 'train one with the `train-reward-model` job and point `checkpoint` at its output folder' });
    }
    const notRewardModel = () =>
      new DiagnosticError({
        ...where,
        code: 'reward-model/not-a-reward-model',
        message: `${dir} is a model checkpoint but not a reward model (config.json has no "${REWARD_MODEL_KEY}", or the model no value head)`,
        fix: 'train a reward model from it with the `train-reward-model` job (init: this folder) and use that output',
      });
    if (!cfg[REWARD_MODEL_KEY]) throw notRewardModel();
    const model = await models.load(dir, { trainable: opts.trainable ?? false });
    if (!model.hasValueHead) {
      model.dispose();
      throw notRewardModel();
    }
    return { rm: new RewardModel(tf, model), info: cfg[REWARD_MODEL_KEY] as Record<string, unknown> };
  }

  /** Token ids of prompt + completion, as the policy encodes them (BOS, prompt, completion; cut from the left to the context window, BOS kept). */
  encode(s: Pick<RewardSample, 'prompt' | 'completion'>): number[] {
    const ids = this.model.encodePrompt(s.prompt, this.model.contextSize, s.completion).ids;
    return ids.length ? ids : [this.model.tokenizer.eosId];
  }

  /** Scalar rewards [B] of token rows: the value head at each row's last real token. */
  rewards(rows: readonly number[][]): tfc.Tensor1D {
    const tf = this.tf;
    const B = rows.length;
    const T = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(B * T).fill(this.model.tokenizer.padId);
    const mask = new Float32Array(B * T);
    const last = new Float32Array(B * T);
    rows.forEach((r, b) => {
      r.forEach((id, t) => {
        ids[b * T + t] = id;
        mask[b * T + t] = 1;
      });
      last[b * T + r.length - 1] = 1;
    });
    return tf.tidy(() => {
      const batch = { ids: tf.tensor2d(ids, [B, T], 'int32'), attentionMask: tf.tensor2d(mask, [B, T]) };
      const values = this.model.values!(batch); // [B, T]
      return tf.sum(tf.mul(values, tf.tensor2d(last, [B, T])), 1) as tfc.Tensor1D;
    });
  }

  /** Rewards of samples as numbers, in batches. */
  async score(samples: readonly Pick<RewardSample, 'prompt' | 'completion'>[], batchSize = 16): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < samples.length; i += batchSize) {
      const r = this.rewards(samples.slice(i, i + batchSize).map((s) => this.encode(s)));
      out.push(...(await r.data()));
      r.dispose();
    }
    return out;
  }

  async save(dir: string, info: Record<string, unknown>): Promise<void> {
    await this.model.save(dir, { config: { [REWARD_MODEL_KEY]: info } });
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** Bradley–Terry loss over a batch: mean −log σ(r_chosen − r_rejected − margin) = mean softplus(−(…)). */
export function bradleyTerry(tf: TF, rChosen: tfc.Tensor1D, rRejected: tfc.Tensor1D, margin = 0): tfc.Scalar {
  return tf.mean(tf.softplus(tf.neg(tf.sub(tf.sub(rChosen, rRejected), margin)))) as tfc.Scalar;
}

/**
 * Binary cross-entropy with logits, t·softplus(−r) + (1 − t)·softplus(r), averaged over the batch,
 * or weighted: Σ wᵢ·lossᵢ / Σ wᵢ.
 */
export function binaryCrossEntropy(tf: TF, logits: tfc.Tensor1D, targets: tfc.Tensor1D, weights?: tfc.Tensor1D): tfc.Scalar {
  const losses = tf.add(tf.mul(targets, tf.softplus(tf.neg(logits))), tf.mul(tf.sub(1, targets), tf.softplus(logits)));
  if (!weights) return tf.mean(losses) as tfc.Scalar;
  return tf.div(tf.sum(tf.mul(weights, losses)), tf.sum(weights)) as tfc.Scalar;
}

/**
 * Per-class weights that make both classes count equally: n / (2·n_class) (so a class with half the
 * rows gets weight 1). A class that is absent gets weight 0.
 */
export function balancedClassWeights(targets: readonly number[]): [number, number] {
  const n1 = targets.filter((t) => t === 1).length;
  const n0 = targets.length - n1;
  return [n0 ? targets.length / (2 * n0) : 0, n1 ? targets.length / (2 * n1) : 0];
}
