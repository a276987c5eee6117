import type { RewardContext, RewardSample, RewardSource } from '../contract/reward';
import type { RewardProcessing } from '../recipe/types';
import { Rng } from '../runtime/rng';

export interface WeightedReward {
  name: string;
  weight: number;
  source: RewardSource;
}

export interface CombinedScores {
  /** Σ weight·score, then normalised and clipped as the recipe says. */
  scores: number[];
  /** Raw score of each source, by name. */
  perSource: Record<string, number[]>;
  details: Record<string, Array<number | string | null>>;
}

/** Each reward source's raw scores (before weighting), in the recipe's order of sources, and their details by name. */
export interface SourceScores {
  bySource: number[][];
  details: Record<string, Array<number | string | null>>;
}

/** Running mean/variance (Welford), stored in checkpoints. */
export class RunningMoments {
  count = 0;
  mean = 0;
  m2 = 0;
  update(xs: readonly number[]): void {
    for (const x of xs) {
      this.count += 1;
      const d = x - this.mean;
      this.mean += d / this.count;
      this.m2 += d * (x - this.mean);
    }
  }
  get std(): number {
    return this.count > 1 ? Math.sqrt(this.m2 / (this.count - 1)) : 1;
  }
  getState(): { count: number; mean: number; m2: number } {
    return { count: this.count, mean: this.mean, m2: this.m2 };
  }
  setState(s: { count: number; mean: number; m2: number }): void {
    this.count = s.count;
    this.mean = s.mean;
    this.m2 = s.m2;
  }
}

/** The recipe's weighted list of reward sources, combined into one scalar per sample. */
export class RewardSet {
  readonly moments = new RunningMoments();

  constructor(
    readonly sources: readonly WeightedReward[],
    readonly processing: RewardProcessing = { normalize: false, clip: null, shuffle: false },
    /** Seeds the control permutation (with the step), so a resumed run permutes the same way. */
    readonly seed = 0,
  ) {}

  async score(samples: RewardSample[], ctx: RewardContext): Promise<CombinedScores> {
    return this.combine(await this.scoreSources(samples, ctx), ctx.step, samples.length);
  }

  /**
   * Every source's raw scores (checked: one finite number per sample) and details, by name; no
   * weighting. A rollout worker runs this on its chunk; the trainer combines the chunks' scores.
   */
  async scoreSources(samples: RewardSample[], ctx: RewardContext): Promise<SourceScores> {
    const bySource: number[][] = [];
    const details: Record<string, Array<number | string | null>> = {};
    const results = await Promise.all(this.sources.map((s) => s.source.score(samples, ctx)));
    results.forEach((res, i) => {
      const { name } = this.sources[i];
      if (!Array.isArray(res.scores) || res.scores.length !== samples.length) {
        throw new Error(`reward "${name}" returned ${Array.isArray(res.scores) ? res.scores.length : 'no'} scores for ${samples.length} samples`);
      }
      res.scores.forEach((v, j) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`reward "${name}" returned a non-finite score (${String(v)}) for sample ${j}`);
      });
      bySource.push(res.scores);
      for (const [k, v] of Object.entries(res.details ?? {})) details[`${name}/${k}`] = v;
    });
    return { bySource, details };
  }

  /**
   * Σ weight·score over the sources in recipe order (for each sample, added source by source from
   * 0), then the control shuffle, the running normalisation and the clip of the recipe.
   */
  combine(raw: SourceScores, step: number, count: number): CombinedScores {
    const { bySource, details } = raw;
    const perSource: Record<string, number[]> = {};
    const combined = new Array<number>(count).fill(0);
    this.sources.forEach(({ name, weight }, i) => {
      const scores = bySource[i];
      if (!scores || scores.length !== count) throw new Error(`reward "${name}": ${scores ? scores.length : 'no'} scores for ${count} samples`);
      scores.forEach((v, j) => {
        combined[j] += weight * v;
      });
      perSource[name] = scores;
    });
    let scores = combined;
    if (this.processing.shuffle) {
      const rng = new Rng((this.seed ^ Math.imul(step + 1, 0x9e3779b1)) >>> 0).fork('reward-shuffle');
      scores = rng.shuffle([...combined]);
    }
    if (this.processing.normalize) {
      this.moments.update(scores);
      const { mean, std } = this.moments;
      scores = scores.map((x) => (x - mean) / (std > 1e-8 ? std : 1));
    }
    const clip = this.processing.clip;
    if (clip !== null && clip !== undefined) scores = scores.map((x) => Math.max(-clip, Math.min(clip, x)));
    return { scores, perSource, details };
  }

  async close(): Promise<void> {
    for (const s of this.sources) await s.source.close?.();
  }
}
