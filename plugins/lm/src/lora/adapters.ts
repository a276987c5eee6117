/**
 * LoRA adapters, independent of any architecture: a set of low-rank updates keyed by module name
 * (the dotted module path a Hugging Face model gives the projection, e.g.
 * `transformer.h.0.attn.c_attn` or `model.layers.3.self_attn.q_proj`). A model routes each
 * projection it may adapt through {@link LoraAdapters.project} (or {@link loraLinear}); where an
 * adapter exists for that module the output gains
 *
 *   Δy = ((x · Aᵀ) · Bᵀ) · (α / r),     A [r, in], B [out, r],
 *
 * the formulation of PEFT's `lora.Linear` (`result + lora_B(lora_A(x)) * scaling`), and where none
 * exists the projection's output is returned unchanged (the same tensor, no extra op).
 *
 * Initialisation follows PEFT's default (`init_lora_weights=True`): A by
 * `kaiming_uniform_(a=√5)`, whose bound is gain·√(3/fan_in) with gain = √(2/(1+a²)) = √(1/3), i.e.
 * A ~ U(−1/√in, 1/√in); B = 0. So the adapted model equals the base model exactly until B moves.
 * Each module draws A from its own stream `rng.fork(moduleName)`.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import { DiagnosticError, type Rng, type TF } from '@rlhfjs/core';
import { linear, matMulTransposeB } from '../model/ops';

/** The adapter settings (the agent's `lora` options, PEFT's LoraConfig fields). */
export interface LoraSettings {
  /** r: the rank of each update. */
  rank: number;
  /** lora_alpha: the update is scaled by alpha / rank. */
  alpha: number;
  /** lora_dropout; only 0 is supported (sampling and training must see the same function). */
  dropout: number;
  /** PEFT target_modules: a module is adapted when its name equals one or ends with "." + one. */
  targetModules: readonly string[];
}

/** A projection a model offers for adaptation: its module path and its input and output widths. */
export interface LoraModuleSpec {
  name: string;
  inFeatures: number;
  outFeatures: number;
}

/** One adapted module's two matrices. */
export interface LoraPair {
  /** lora_A [r, in] */
  A: tfc.Variable;
  /** lora_B [out, r] */
  B: tfc.Variable;
  spec: LoraModuleSpec;
}

/** PEFT's target_modules rule for a list of strings: exact name, or a suffix after a dot. */
export function matchesTarget(moduleName: string, targets: readonly string[]): boolean {
  return targets.some((t) => moduleName === t || moduleName.endsWith('.' + t));
}

/** The tensor names PEFT writes in adapter_model.safetensors for one module (adapter name "default" left out, as PEFT saves it). */
export function peftTensorNames(moduleName: string): { A: string; B: string } {
  return { A: `base_model.model.${moduleName}.lora_A.weight`, B: `base_model.model.${moduleName}.lora_B.weight` };
}

export class LoraAdapters {
  /** α / r */
  readonly scaling: number;
  private readonly pairs: Map<string, LoraPair>;
  private disposed = false;

  private constructor(
    readonly tf: TF,
    readonly settings: LoraSettings,
    pairs: Map<string, LoraPair>,
  ) {
    this.scaling = settings.alpha / settings.rank;
    this.pairs = pairs;
  }

  /**
   * Fresh adapters on every module of `modules` that `settings.targetModules` selects: A drawn from
   * `rng` as PEFT draws it, B zero. Refuses dropout > 0 and targets that select nothing.
   */
  static create(tf: TF, settings: LoraSettings, modules: readonly LoraModuleSpec[], rng: Rng, where: { pointer?: string; plugin?: string } = {}): LoraAdapters {
    const chosen = selectModules(settings, modules, where);
    const pairs = new Map<string, LoraPair>();
    const r = settings.rank;
    for (const spec of chosen) {
      const bound = 1 / Math.sqrt(spec.inFeatures);
      const stream = rng.fork(spec.name);
      const a = new Float32Array(r * spec.inFeatures);
      for (let i = 0; i < a.length; i++) a[i] = (2 * stream.next() - 1) * bound;
      pairs.set(spec.name, { spec, A: variableOf(tf, tf.tensor2d(a, [r, spec.inFeatures]), true), B: variableOf(tf, tf.zeros([spec.outFeatures, r], 'float32'), true) });
    }
    return new LoraAdapters(tf, settings, pairs);
  }

  /**
   * Adapters from stored matrices (PEFT tensor names), e.g. adapter_model.safetensors. Every module
   * the settings select must have both matrices with the right shapes, and no tensor may be left over.
   */
  static fromTensors(
    tf: TF,
    settings: LoraSettings,
    modules: readonly LoraModuleSpec[],
    tensors: Map<string, { shape: readonly number[]; data: Float32Array }>,
    where: { file?: string; pointer?: string; plugin?: string } = {},
    trainable = true,
  ): LoraAdapters {
    const chosen = selectModules(settings, modules, where);
    const pairs = new Map<string, LoraPair>();
    const used = new Set<string>();
    const r = settings.rank;
    for (const spec of chosen) {
      const names = peftTensorNames(spec.name);
      const want = { A: [r, spec.inFeatures], B: [spec.outFeatures, r] };
      const vars = {} as { A: tfc.Variable; B: tfc.Variable };
      for (const k of ['A', 'B'] as const) {
        const t = tensors.get(names[k]);
        if (!t || t.shape.length !== 2 || t.shape[0] !== want[k][0] || t.shape[1] !== want[k][1]) {
          Object.values(vars).forEach((v) => v.dispose());
          pairs.forEach((p) => (p.A.dispose(), p.B.dispose()));
          throw new DiagnosticError({
            code: 'lm/lora-bad-adapter',
            ...where,
            message: t ? `adapter tensor "${names[k]}" has shape [${t.shape}], expected [${want[k]}]` : `adapter tensor "${names[k]}" is missing`,
            fix: 'the adapter was trained for another base model or other lora settings (rank, targetModules); use the adapter_config.json that came with it, or the base model it names',
          });
        }
        used.add(names[k]);
        vars[k] = variableOf(tf, tf.tensor2d(t.data, [want[k][0], want[k][1]]), trainable);
      }
      pairs.set(spec.name, { spec, ...vars });
    }
    const extra = [...tensors.keys()].filter((k) => !used.has(k));
    if (extra.length) {
      pairs.forEach((p) => (p.A.dispose(), p.B.dispose()));
      throw new DiagnosticError({
        code: 'lm/lora-bad-adapter',
        ...where,
        message: `adapter tensors for modules this model does not adapt: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` (+${extra.length - 5} more)` : ''}`,
        fix: 'the adapter_config.json target_modules and the tensors disagree, or the adapter belongs to another architecture',
      });
    }
    return new LoraAdapters(tf, settings, pairs);
  }

  /** A frozen copy (own variables, not trainable): e.g. a reference that keeps the adapters a run started from. */
  frozenCopy(): LoraAdapters {
    const tf = this.tf;
    const pairs = new Map<string, LoraPair>();
    for (const [k, p] of this.pairs) pairs.set(k, { spec: p.spec, A: variableOf(tf, p.A.clone(), false), B: variableOf(tf, p.B.clone(), false) });
    return new LoraAdapters(tf, this.settings, pairs);
  }

  has(moduleName: string): boolean {
    return this.pairs.has(moduleName);
  }

  /** The adapted module names, in the order the model listed them. */
  moduleNames(): string[] {
    return [...this.pairs.keys()];
  }

  pair(moduleName: string): LoraPair | undefined {
    return this.pairs.get(moduleName);
  }

  /** The low-rank update of one module for inputs x [..., in]: ((x·Aᵀ)·Bᵀ)·(α/r) as [..., out]; undefined when the module has no adapter. */
  delta(x: tfc.Tensor, moduleName: string): tfc.Tensor | undefined {
    const p = this.pairs.get(moduleName);
    if (!p) return undefined;
    const tf = this.tf;
    const shape = x.shape;
    const flat = tf.reshape(x, [-1, shape[shape.length - 1]]);
    const low = matMulTransposeB(tf, flat, p.A);
    const up = matMulTransposeB(tf, low, p.B);
    return tf.reshape(tf.mul(up, this.scaling), [...shape.slice(0, -1), p.spec.outFeatures]);
  }

  /** `y + delta(x)` where the module has an adapter, else `y` itself. */
  project(x: tfc.Tensor, y: tfc.Tensor, moduleName: string): tfc.Tensor {
    const d = this.delta(x, moduleName);
    return d ? this.tf.add(y, d) : y;
  }

  /** lora_A then lora_B of each module, in module order: what the optimiser updates. */
  variables(): tfc.Variable[] {
    const out: tfc.Variable[] = [];
    for (const p of this.pairs.values()) out.push(p.A, p.B);
    return out;
  }

  /** The matrices under PEFT's tensor names. */
  namedTensors(): Map<string, tfc.Variable> {
    const out = new Map<string, tfc.Variable>();
    for (const [name, p] of this.pairs) {
      const n = peftTensorNames(name);
      out.set(n.A, p.A);
      out.set(n.B, p.B);
    }
    return out;
  }

  parameterCount(): number {
    let n = 0;
    for (const p of this.pairs.values()) n += p.A.size + p.B.size;
    return n;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of this.pairs.values()) {
      p.A.dispose();
      p.B.dispose();
    }
  }
}

/**
 * The hook an architecture calls for each projection it may adapt: `x @ W + bias` (W [in, out], or
 * W [out, in] used as Wᵀ when `transposeW`, the nn.Linear layout), plus the module's LoRA update
 * when `adapters` has one. With no adapters (or none for this module) the ops are exactly those of
 * `linear` in model/ops.ts.
 */
export function loraLinear(tf: TF, x: tfc.Tensor, w: tfc.Tensor, bias: tfc.Tensor | undefined, moduleName: string, adapters?: LoraAdapters, transposeW = false): tfc.Tensor {
  const y = linear(tf, x, w, bias, transposeW);
  return adapters ? adapters.project(x, y, moduleName) : y;
}

/** A float32 variable holding `t`'s values; `t` itself is disposed (the variable keeps the data). */
function variableOf(tf: TF, t: tfc.Tensor, trainable: boolean): tfc.Variable {
  const v = tf.variable(t, trainable, undefined, 'float32');
  t.dispose();
  return v;
}

function selectModules(settings: LoraSettings, modules: readonly LoraModuleSpec[], where: { pointer?: string; plugin?: string; file?: string }): LoraModuleSpec[] {
  if (settings.dropout !== 0) {
    throw new DiagnosticError({
      code: 'lm/lora-dropout',
      ...where,
      message: `lora dropout ${settings.dropout} is not supported: with dropout, the function that samples the completions and the one whose log-probs are trained differ, which biases the policy gradient and the KL`,
      fix: 'set lora.dropout to 0 (the default)',
    });
  }
  if (!Number.isInteger(settings.rank) || settings.rank < 1) {
    throw new DiagnosticError({ code: 'lm/lora-rank', ...where, message: `lora rank must be a positive integer (got ${settings.rank})`, fix: 'set lora.rank, e.g. 8 or 16' });
  }
  const chosen = modules.filter((m) => matchesTarget(m.name, settings.targetModules));
  const unmatched = settings.targetModules.filter((t) => !modules.some((m) => matchesTarget(m.name, [t])));
  if (unmatched.length || chosen.length === 0) {
    const suffixes = [...new Set(modules.map((m) => m.name.split('.').slice(-2).join('.')))];
    throw new DiagnosticError({
      code: 'lm/lora-targets',
      ...where,
      message: `lora targetModules ${JSON.stringify(unmatched.length ? unmatched : settings.targetModules)} match no projection of this model`,
      fix: `name modules as PEFT does; this model's projections end in: ${suffixes.join(', ')} (a bare last part such as "c_proj" matches every module ending in it)`,
    });
  }
  const tooBig = chosen.find((m) => settings.rank > Math.min(m.inFeatures, m.outFeatures));
  if (tooBig) {
    throw new DiagnosticError({ code: 'lm/lora-rank', ...where, message: `lora rank ${settings.rank} exceeds the smaller side of ${tooBig.name} ([${tooBig.inFeatures} → ${tooBig.outFeatures}])`, fix: `set lora.rank to at most ${Math.min(tooBig.inFeatures, tooBig.outFeatures)}` });
  }
  return chosen;
}

/**
 * One base weight with its adapter merged in (PEFT's `merge`): W + (B·A)·(α/r) for an nn.Linear
 * weight W [out, in], or W + (B·A)ᵀ·(α/r) = W + (Aᵀ·Bᵀ)·(α/r) when `fanInFanOut` (W [in, out], GPT-2's
 * Conv1D and the project GPT). A new tensor; the caller disposes it.
 */
export function mergedWeight(tf: TF, w: tfc.Tensor, pair: LoraPair, scaling: number, fanInFanOut: boolean): tfc.Tensor {
  return tf.tidy(() => {
    const ba = fanInFanOut ? tf.matMul(pair.A, pair.B, true, true) : tf.matMul(pair.B, pair.A);
    return tf.add(w, tf.mul(ba, scaling));
  });
}
