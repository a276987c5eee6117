import type { KLController } from '@rlhfjs/core';
import type { AdaptiveKLOptions } from './adaptive.options';

/**
 * Ziegler et al. 2019, §2.2, in the form of OpenAI's lm-human-preferences and TRL:
 * e = clip((KL − target)/target, −0.2, 0.2); β ← β·(1 + e·n/horizon), n = episodes in the batch.
 */
export class AdaptiveKLController implements KLController {
  private beta: number;
  constructor(private readonly settings: AdaptiveKLOptions) {
    this.beta = settings.initialBeta;
  }
  get value(): number {
    return this.beta;
  }
  update(observedKL: number, nSteps: number): void {
    if (!Number.isFinite(observedKL)) throw new Error(`adaptive KL controller: observed KL is ${observedKL}`);
    const { target, horizon } = this.settings;
    const e = Math.max(-0.2, Math.min(0.2, (observedKL - target) / target));
    this.beta *= 1 + (e * nSteps) / horizon;
  }
  getState(): { value: number } {
    return { value: this.beta };
  }
  setState(state: { value: number }): void {
    if (typeof state?.value !== 'number' || !Number.isFinite(state.value)) throw new Error('adaptive KL controller: state has no finite "value"');
    this.beta = state.value;
  }
}
