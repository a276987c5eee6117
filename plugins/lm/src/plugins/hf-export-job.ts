import * as fs from 'node:fs';
import * as path from 'node:path';
import { definePlugin, DiagnosticError, type Job, type JobContext, type JobResult, type OptionsOf } from '@rlhfjs/core';
import { gptCheckpointToHF } from '../hf/from-gpt';

export const hfExportOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['checkpoint', 'output'],
  properties: {
    checkpoint: { type: 'string', description: 'A checkpoint folder of the gpt agent or the pretrain job (config.json says "model_type": "rlhfjs-gpt"), relative to the recipe, e.g. "../models/base".' },
    output: { type: 'string', description: 'The Hugging Face GPT-2 folder to write (config.json, tokenizer.json, tokenizer_config.json, model.safetensors), relative to the recipe. Replaced atomically when it exists.' },
  },
} as const;

export type HFExportOptions = OptionsOf<typeof hfExportOptionsSchema>;

/** One step: convert, log the size, checkpoint (a resumed run whose output exists ends at once). */
class HFExportJob implements Job {
  private done = false;

  constructor(
    private readonly o: HFExportOptions,
    private readonly resolvePath: (p: string) => string,
    private readonly pointer: string,
  ) {}

  async loadCheckpoint(): Promise<void> {
    this.done = true;
  }

  async saveCheckpoint(dir: string): Promise<void> {
    fs.writeFileSync(path.join(dir, 'hf-export.json'), JSON.stringify({ output: this.resolvePath(this.o.output) }) + '\n');
  }

  async run(ctx: JobContext): Promise<JobResult> {
    const src = this.resolvePath(this.o.checkpoint);
    const out = this.resolvePath(this.o.output);
    if (this.done && fs.existsSync(path.join(out, 'config.json'))) return { summary: { output: out } };
    if (!fs.existsSync(path.join(src, 'config.json'))) {
      throw new DiagnosticError({ code: 'hf/export-source', file: src, pointer: `${this.pointer}/options/checkpoint`, plugin: 'job/hf-export', message: `${src} is not a checkpoint folder (no config.json)`, fix: 'Point checkpoint at a folder written by the gpt agent or the pretrain job, e.g. recipes/models/base.' });
    }
    const res = await gptCheckpointToHF(src, out);
    ctx.metrics.plan(1);
    await ctx.metrics.log(0, { parameters: res.parameters, tensors: res.tensors });
    await ctx.checkpoint(1);
    return { summary: { output: out, ...res } };
  }
}

export const hfExportJob = definePlugin({
  kind: 'job',
  name: 'hf-export',
  description: "Write a checkpoint of the project's own GPT (e.g. recipes/models/base) as a Hugging Face GPT-2 folder (config.json, tokenizer.json, model.safetensors), for the hf-causal-lm agent or transformers.",
  options: hfExportOptionsSchema,
  create: (ctx) => new HFExportJob(ctx.options, ctx.resolvePath, ctx.pointer),
});
