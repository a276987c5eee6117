import { DiagnosticError, definePlugin, type RewardContext, type RewardResult, type RewardSample, type RewardSource } from '@rlhfjs/core';
import { pointwiseItem, type LabelItem } from '../labels/format';
import type { LabelAppender } from '../labels/appender';
import { createLabeller, labellerOptionProperties } from './factory';
import type { Labeller } from './labeller';

export interface HumanRewardSettings {
  /** true: label 1 means bad (e.g. toxic), score = 1 − label; false: score = label. */
  invert: boolean;
  /** Score of a skipped completion. */
  skipScore: number;
}

/**
 * A reward from labels given during RL: each batch goes to the labeller, and training waits for
 * the answers. Completions already labelled in the file (a resumed run) are not asked again.
 */
export class HumanReward implements RewardSource {
  constructor(
    readonly labeller: Labeller,
    private readonly settings: HumanRewardSettings,
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
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['labeller', 'labels', 'invert'],
    properties: {
      labeller: {
        type: 'string',
        enum: ['terminal', 'web', 'simulated', 'replay'],
        description:
          'Who answers: "terminal" (keys on stdin), "web" (a page on 127.0.0.1), "simulated" (the whole-word cuss matcher, marked simulated in every label) or "replay" (labels read from the `labels` file by prompt and completion; a completion not there is an error).',
      },
      invert: {
        type: 'boolean',
        description:
          'How a 0/1 label becomes a score. true: label 1 means bad (e.g. toxic), so score = 1 − label (toxic → 0, clean → 1). false: label 1 means good, score = label.',
      },
      skipScore: {
        type: 'number',
        default: 0.5,
        description: 'Score of a completion the labeller skipped (default 0.5: neither good nor bad).',
      },
      ...labellerOptionProperties,
    },
  } as const,
  create: ({ options, resolvePath }) => {
    const labels = resolvePath(options.labels);
    const { labeller, appender } = createLabeller({ ...options, labels });
    return new HumanReward(labeller, { invert: options.invert, skipScore: options.skipScore }, appender);
  },
});
