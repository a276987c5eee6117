import * as fs from 'node:fs';
import * as path from 'node:path';
import { container as rootContainer } from 'tsyringe';
import type { Argv } from 'yargs';
import type { CommandHelpers } from '../commands';
import { DiagnosticError } from '../../diagnostics';
import { Tokens } from '../../container/tokens';
import { CheckpointModels, readCheckpointConfig } from '../../agent/checkpoints';
import { createTensorRuntime } from '../../runtime/backend';
import { Rng } from '../../runtime/rng';
import { RUN_FILES } from '../../runtime/run-dir';
import type { BackendChoice } from '../../contract/tensor-runtime';

const ADAPTER_CONFIG = 'adapter_config.json';

/**
 * Where the policy to merge lives: a run folder means its final/ policy; a policy folder (config.json
 * + adapter_config.json) is base and adapter at once; an adapter-only folder (PEFT's layout) needs
 * its base, from `--base` or its adapter_config.json's base_model_name_or_path.
 */
export function mergeSource(dir: string, base?: string): { model: string; adapter?: string } {
  if (fs.existsSync(path.join(dir, RUN_FILES.manifest))) dir = path.join(dir, 'final');
  const hasConfig = fs.existsSync(path.join(dir, 'config.json'));
  const hasAdapter = fs.existsSync(path.join(dir, ADAPTER_CONFIG));
  if (!hasAdapter) {
    throw new DiagnosticError({ code: 'cli/no-adapter', file: dir, message: `${dir} holds no LoRA adapter (${ADAPTER_CONFIG})`, fix: 'pass a LoRA run, its final/ or checkpoints/step-N/policy folder, or a PEFT adapter folder' });
  }
  if (hasConfig && !base) return { model: dir };
  let b = base;
  if (!b) {
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, ADAPTER_CONFIG), 'utf8')) as { base_model_name_or_path?: unknown };
    if (typeof cfg.base_model_name_or_path === 'string' && fs.existsSync(cfg.base_model_name_or_path)) b = cfg.base_model_name_or_path;
  }
  if (!b) {
    throw new DiagnosticError({ code: 'cli/no-base', file: path.join(dir, ADAPTER_CONFIG), pointer: '/base_model_name_or_path', message: 'the adapter\'s base model folder is unknown or missing on this machine', fix: 'name the base checkpoint folder with --base <dir>' });
  }
  readCheckpointConfig(b);
  return { model: b, adapter: dir };
}

/** `rlhf merge-lora <run|policy|adapter> --out <dir>`: write a plain checkpoint with the LoRA adapter merged into the base weights. */
export function registerMergeLora(cli: Argv, h: CommandHelpers): void {
  cli.command(
    'merge-lora <source>',
    'write a plain checkpoint (no adapters) with a LoRA adapter merged into its base weights, W + B·A·alpha/r, for export',
    (y) =>
      y
        .positional('source', { type: 'string', demandOption: true, describe: 'a LoRA run folder (its final/ is used), a saved LoRA policy folder, or a PEFT adapter folder' })
        .option('out', { type: 'string', demandOption: true, describe: 'folder to write (replaced atomically if it exists)' })
        .option('base', { type: 'string', describe: 'base checkpoint of an adapter-only folder (default: its base_model_name_or_path)' })
        .option('backend', { choices: ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'], default: 'wasm' }),
    async (a) => {
      const src = mergeSource(h.abs(a.source as string), a.base ? h.abs(a.base as string) : undefined);
      const runtime = await createTensorRuntime({ backend: a.backend as BackendChoice, nativeKernels: 'allow' });
      const c = rootContainer.createChildContainer();
      c.registerInstance(Tokens.Runtime, runtime);
      c.registerInstance(Tokens.Rng, new Rng(0));
      const models = new CheckpointModels(c, { searchFrom: [h.io.cwd] });
      c.registerInstance(Tokens.Models, models);
      const model = await models.load(src.model, { adapter: src.adapter, trainable: false });
      try {
        await model.save(h.abs(a.out as string), { mergeAdapters: true, config: { merged_from: src.adapter ?? src.model } });
      } finally {
        model.dispose();
      }
      h.out(`merged ${h.rel(src.adapter ?? src.model)} into ${h.rel(a.out as string)}`);
    },
  );
}
