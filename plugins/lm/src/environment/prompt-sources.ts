/**
 * Where prompts come from: a JSONL or plain-text file, or the opening words of corpus sentences.
 */
import { DiagnosticError, type Prompt, type Tokenizer } from '@rlhfjs/core';
import { hash32, unitHash } from '../corpus/hash';
import { loadCorpus, type CorpusItem } from '../corpus/load';
import type { CorpusSpec, CorpusSpecInput } from '../corpus/spec';
import { readTextRecords, type TextFileFormat } from '../corpus/text-file';
import type { PromptsOptions } from './prompts.options';

export interface FilePromptOptions {
  /** The file as the recipe names it (used in ids and messages). */
  path: string;
  /** The resolved file path. */
  resolved: string;
  format: TextFileFormat;
  field: string;
  plugin?: string;
  pointer?: string;
}

/** Prompts of a file; ids are `<path>:<line>`. */
export function promptsFromFile(o: FilePromptOptions): Prompt[] {
  return readTextRecords(o.resolved, { format: o.format, field: o.field, shownPath: o.path, plugin: o.plugin, pointer: o.pointer, noun: 'prompt' }).map((r) => ({
    id: `${o.path}:${r.line}`,
    text: r.text,
  }));
}

/**
 * How prompts are cut from sentences: the `cut` options of the prompts environment and its seed.
 * Each sentence gets a length in [minWords, maxWords] by hash; a sentence shorter than
 * minWords + minRemainingWords is skipped.
 */
export type CutOptions = Omit<PromptsOptions['cut'], 'split'> & Pick<PromptsOptions, 'seed'>;

/**
 * The opening words of a sentence as a prompt, or undefined when the sentence is too short. The
 * number of words is chosen by a hash of the sentence id, so it is the same on every run.
 */
export function cutSentence(item: { id: string; text: string }, o: CutOptions): Prompt | undefined {
  const words = item.text.split(/\s+/).filter((w) => w.length > 0);
  if (words.length < o.minWords + o.minRemainingWords) return undefined;
  const span = o.maxWords - o.minWords + 1;
  const want = o.minWords + (hash32(`${o.seed}\u0000cut\u0000${item.id}`) % span);
  const n = Math.min(want, words.length - o.minRemainingWords);
  return { id: `${item.id}#${n}`, text: words.slice(0, n).join(' ') };
}

/** Prompts cut from corpus sentences (duplicates removed, first occurrence kept). */
export function promptsFromCorpus(
  spec: CorpusSpec | CorpusSpecInput,
  cut: CutOptions & Pick<PromptsOptions['cut'], 'split'>,
  opts: { resolvePath?: (p: string) => string; pointer?: string; plugin?: string } = {},
): Prompt[] {
  const corpus = loadCorpus(spec, opts);
  const items: CorpusItem[] =
    cut.split === 'heldOut' ? corpus.heldOutItems : cut.split === 'train' ? corpus.trainItems : [...corpus.trainItems, ...corpus.heldOutItems];
  const seen = new Set<string>();
  const out: Prompt[] = [];
  for (const it of items) {
    const p = cutSentence(it, cut);
    if (!p || seen.has(p.text)) continue;
    seen.add(p.text);
    out.push(p);
  }
  if (out.length === 0) {
    throw new DiagnosticError({
      code: 'environment/no-prompts',
      message: `no prompts could be cut from the corpus (${items.length} ${cut.split === 'heldOut' ? 'held-out ' : ''}sentences, none with at least ${cut.minWords + cut.minRemainingWords} words)`,
      plugin: opts.plugin,
      pointer: opts.pointer,
      fix: 'Lower cut.minWords, raise the corpus heldOutFraction, or add sources.',
    });
  }
  return out;
}

/** Split prompts by a stable hash of their text: held out ⇔ unitHash(seed, text) < fraction. */
export function splitPrompts(prompts: readonly Prompt[], fraction: number, seed: number): { train: Prompt[]; heldOut: Prompt[] } {
  const train: Prompt[] = [];
  const heldOut: Prompt[] = [];
  for (const p of prompts) (unitHash(seed, p.text) < fraction ? heldOut : train).push(p);
  return { train, heldOut };
}

/**
 * Shorten a prompt to at most `maxTokens` tokens of `tokenizer`: `left` keeps the end (the words
 * the completion continues from), `right` keeps the start. A cut inside a multi-byte character
 * moves one token further so the text stays well-formed.
 */
export function truncatePrompt(text: string, tokenizer: Tokenizer, maxTokens: number, side: 'left' | 'right'): string {
  const ids = tokenizer.encode(text);
  if (ids.length <= maxTokens) return text;
  for (let drop = 0; drop < 4 && maxTokens - drop > 0; drop++) {
    const keep = maxTokens - drop;
    const part = side === 'left' ? ids.slice(ids.length - keep) : ids.slice(0, keep);
    const out = tokenizer.decode(part);
    if (!out.includes('\uFFFD') || text.includes('\uFFFD')) return out;
  }
  const part = side === 'left' ? ids.slice(ids.length - maxTokens) : ids.slice(0, maxTokens);
  return tokenizer.decode(part);
}
