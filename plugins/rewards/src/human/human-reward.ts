import { DiagnosticError, definePlugin, type RewardContext, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';
import { pointwiseItem, type LabelItem } from '../labels/format';
import type { LabelAppender } from '../labels/appender';
import { createLabeller } from './factory';
import type { Labeller } from './labeller';
import { humanRewardOptionsSchema, type HumanRewardOptions } from './human.options';

/**
 * A reward from labels given during RL: each batch goes to the labeller, and training waits for
 * the answers. Completions already labelled in the file (a resumed run) are not asked again.
 */
export class HumanReward implements RewardSource {
  constructor(
    readonly labeller: Labeller,
    private readonly settings: HumanRewardOptions,
    private readonly appender?: LabelAppender,
    private readonly plugin = 'reward/human',
  ) {}

  async score(samples: RewardSample[], ctx: RewardContext): Promise<RewardResult> {
    const items: LabelItem[] = samples.map((s) => pointwiseItem(s.prompt, s.completion, s.promptId));
    // a completion sampled twice in one batch is asked once
    const unique = [...new Map(items.map((i) => [i.id, i])).values()];
    const records = await this.labeller.label(unique, { source: { model: ctx.model ?? 'unknown', step: ctx.step }, signal: ctx.signal });
    const byId = new Map(unique.map((u, k) => [u.id, records[k]]));
    const missing = unique.filter((u) => !byId.get(u.id)).length;
    if (missing) {
      throw new DiagnosticError(
        {
          code: 'human/stopped',
          message: `labelling stopped with ${missing} of ${unique.length} completions of step ${ctx.step} unanswered`,
          fix: `the answers given are saved${this.appender ? ` in ${this.appender.file}` : ''}; resume the run to continue where you stopped`,
          plugin: this.plugin,
        },
        { exitCode: 1 },
      );
    }
    const labels: Array<number | null> = [];
    const scores = items.map((it) => {
      const r = byId.get(it.id)!;
      if (r.type !== 'pointwise') throw new Error(`label for ${it.id} is a pair, expected a 0/1 label`);
      labels.push(r.label);
      if (r.label === null) return this.settings.skipScore;
      return this.settings.invert ? 1 - r.label : r.label;
    });
    return { scores, details: { label: labels } };
  }

  async close(): Promise<void> {
    await this.labeller.close?.();
    this.appender?.close();
  }
}

export const humanReward = definePlugin({
  kind: 'reward',
  name: 'human',
  description: 'Reward from 0/1 labels given during RL by a person (terminal or web page), a simulated labeller, or a replay of a labels file.',
  options: humanRewardOptionsSchema,
  create: ({ options, resolvePath }) => {
    const labels = resolvePath(options.labels);
    const { labeller, appender } = createLabeller({ ...options, labels });
    return new HumanReward(labeller, options, appender);
  },
});
