/**
 * LoRA on the Hugging Face architectures: the projections a PEFT LoraConfig can target, under the
 * module paths PEFT gives them on the `*ForCausalLM` model (so adapter tensors are named
 * `base_model.model.<module path>.lora_A.weight`, as PEFT writes them):
 *
 *   gpt2:    transformer.h.<i>.attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj   (Conv1D, fan_in_fan_out)
 *   gpt_neo: transformer.h.<i>.attn.attention.{q_proj,k_proj,v_proj,out_proj}, mlp.c_fc, mlp.c_proj  (nn.Linear)
 *   llama:   model.layers.<i>.self_attn.{q_proj,k_proj,v_proj,o_proj}, mlp.{gate_proj,up_proj,down_proj}  (nn.Linear)
 *
 * The module path is the one PEFT uses whatever the folder's tensor-name prefix: a bare GPT2Model
 * checkpoint (tensors `h.0.…`) still loads into GPT2LMHeadModel as `transformer.h.0.…`.
 */
import type { LoraModuleSpec } from '../lora/adapters';
import { tensorSpecs, type HFArch } from './config';

const ADAPTABLE = /\.(c_attn|c_proj|c_fc|q_proj|k_proj|v_proj|out_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$/;

/** True where the family stores projection weights [in, out] on disk (GPT-2's Conv1D): PEFT's fan_in_fan_out. */
export function hfFanInFanOut(arch: HFArch): boolean {
  return arch.family === 'gpt2';
}

/** The adaptable projections of `arch`, in forward order, with PEFT module paths and their in/out widths. */
export function hfLoraModules(arch: HFArch): LoraModuleSpec[] {
  const trunk = arch.family === 'llama' ? '' : 'transformer.';
  return tensorSpecs(arch, trunk)
    .filter((s) => ADAPTABLE.test(s.name) && s.shape.length === 2)
    .map((s) => ({
      name: s.name.slice(0, -'.weight'.length),
      // nn.Linear stores [out, in]; Conv1D [in, out]
      inFeatures: s.linear ? s.shape[1] : s.shape[0],
      outFeatures: s.linear ? s.shape[0] : s.shape[1],
    }));
}

/** The model's module name (tensor names without ".weight") of a PEFT module path, for a folder whose trunk tensors carry `prefix`. */
export function hfWeightModule(arch: HFArch, prefix: string, moduleName: string): string {
  return arch.family === 'llama' ? moduleName : prefix + moduleName.replace(/^transformer\./, '');
}

/** Adapter tensor names as a bare-prefix tool might write them (`base_model.model.h.…`) renamed to PEFT's (`base_model.model.transformer.h.…`). */
export function normaliseAdapterNames<T>(arch: HFArch, tensors: Map<string, T>): Map<string, T> {
  if (arch.family === 'llama') return tensors;
  const out = new Map<string, T>();
  for (const [k, v] of tensors) out.set(k.replace(/^base_model\.model\.h\./, 'base_model.model.transformer.h.'), v);
  return out;
}
