import { DiagnosticError, Tokens, definePlugin, type Job, type JobContext, type JobResult, type Prompt } from '@rlhfjs/core';
import { pairItem, pointwiseItem, type LabelItem } from '../labels/format';
import { createLabeller, labellerOptionProperties, type LabellerSettings } from './factory';

export interface LabelJobSettings extends LabellerSettings {
  prompts: number;
  samplesPerPrompt: number;
  mode: 'pointwise' | 'pair';
  split: 'train' | 'heldOut';
  batchSize: number;
}

/**
 * Offline labelling: sample completions from the agent for prompts from the environment, then have
 * them labelled (0/1, or A/B for pairs) into a labels file. Rerunning the same recipe (same seed)
 * samples the same completions, and the ones already answered are not asked again.
 */
export class LabelJob implements Job {
  constructor(private readonly s: LabelJobSettings) {}

  async run(ctx: JobContext): Promise<JobResult> {
    const c = ctx.container;
    const agent = c.resolve(Tokens.Agent);
    const env = c.resolve(Tokens.Environment);
    const rng = c.resolve(Tokens.Rng).fork('label-job');
    const { policy, sampling } = agent;

    const prompts: Prompt[] = this.s.split === 'train' ? env.nextBatch(this.s.prompts, rng.fork('prompts')) : env.heldOut(this.s.prompts);
    if (prompts.length === 0) {
      throw new DiagnosticError({ code: 'label/no-prompts', message: `the environment has no ${this.s.split} prompts`, fix: 'use split "train", or give the environment held-out prompts', plugin: 'job/label', pointer: '/job/options/split' });
    }
    const perPrompt = this.s.mode === 'pair' ? 2 * this.s.samplesPerPrompt : this.s.samplesPerPrompt;
    const maxPrompt = Math.max(1, policy.contextSize - sampling.maxNewTokens);
    const rows: Array<{ prompt: Prompt; ids: number[] }> = [];
    for (const p of prompts) {
      const ids = policy.encodePrompt(p.text, maxPrompt).ids;
      for (let k = 0; k < perPrompt; k++) rows.push({ prompt: p, ids });
    }
    const genRng = rng.fork('generate');
    const completions: string[] = [];
    for (let i = 0; i < rows.length; i += this.s.batchSize) {
      if (ctx.signal?.aborted) throw new Error('label job aborted');
      const chunk = rows.slice(i, i + this.s.batchSize);
      const rollout = await policy.generate(
        chunk.map((r) => r.ids),
        sampling,
        genRng,
      );
      completions.push(...rollout.completions);
    }

    const items: LabelItem[] = [];
    let identicalPairs = 0;
    if (this.s.mode === 'pointwise') {
      rows.forEach((r, k) => items.push(pointwiseItem(r.prompt.text, completions[k], r.prompt.id)));
    } else {
      for (let k = 0; k < rows.length; k += 2) {
        if (completions[k] === completions[k + 1]) {
          identicalPairs += 1;
          continue;
        }
        items.push(pairItem(rows[k].prompt.text, completions[k], completions[k + 1], rows[k].prompt.id));
      }
    }
    const unique = [...new Map(items.map((i) => [i.id, i])).values()];

    const { labeller, appender } = createLabeller(this.s);
    try {
      const records = await labeller.label(unique, { source: { model: agent.source, step: -1 }, signal: ctx.signal });
      const answered = records.filter((r) => r !== undefined);
      const skipped = answered.filter((r) => r!.skipped).length;
      const positive = answered.filter((r) => r!.type === 'pointwise' && r!.label === 1).length;
      const labelled = answered.length - skipped;
      const summary: Record<string, unknown> = {
        labelsFile: this.s.labels,
        labeller: labeller.info,
        mode: this.s.mode,
        items: unique.length,
        answered: answered.length,
        labelled,
        skipped,
        unanswered: unique.length - answered.length,
      };
      if (this.s.mode === 'pointwise') {
        summary.positive = positive;
        summary.positiveRate = labelled ? positive / labelled : null;
      } else summary.identicalPairsDropped = identicalPairs;
      return { summary };
    } finally {
      await labeller.close?.();
      appender?.close();
    }
  }
}

export const labelJob = definePlugin({
  kind: 'job',
  name: 'label',
  description: 'Sample completions from the agent for environment prompts and label them (0/1 or A/B pairs) at a terminal, on a local web page, or with the simulated labeller, into a labels file.',
  requires: ['agent', 'environment'],
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['labeller', 'labels'],
    properties: {
      labeller: {
        type: 'string',
        enum: ['terminal', 'web', 'simulated'],
        description: 'Who answers: "terminal" (keys on stdin), "web" (a page on 127.0.0.1, URL printed on stderr) or "simulated" (the whole-word cuss matcher; every label it writes says simulated).',
      },
      prompts: { type: 'integer', minimum: 1, default: 32, description: 'Prompts drawn from the environment.' },
      samplesPerPrompt: {
        type: 'integer',
        minimum: 1,
        default: 1,
        description: 'Pointwise: completions sampled per prompt, each labelled 0/1. Pair: pairs per prompt (two completions each, shown as A and B).',
      },
      mode: { type: 'string', enum: ['pointwise', 'pair'], default: 'pointwise', description: 'Label single completions 0/1 ("pointwise") or choose the better of two ("pair").' },
      split: { type: 'string', enum: ['train', 'heldOut'], default: 'train', description: 'Take prompts from the training stream (seeded order) or the held-out set (fixed order).' },
      batchSize: { type: 'integer', minimum: 1, default: 16, description: 'Completions generated per forward batch (memory, not the result).' },
      pairQuestion: { type: 'string', minLength: 1, description: 'The question shown with each pair (default: which completion is better, a or b).' },
      ...labellerOptionProperties,
    },
  } as const,
  create: ({ options, resolvePath }) => new LabelJob({ ...options, labels: resolvePath(options.labels) }),
});
