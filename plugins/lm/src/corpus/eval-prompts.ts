/**
 * A fixed list of evaluation prompts cut from held-out corpus sentences, for measuring how often a
 * policy's completions are toxic before and after detoxification.
 *
 * A small model uses the last few words of a prompt far more than its meaning, so the prompts are
 * made to end where informal text was going somewhere:
 * - `informal-tail`: an informal (nlp-corpus) sentence with its last 1–3 words removed;
 * - `before-lexicon-word`: an informal sentence cut just before a word the lexicon rates as surely
 *   profane (the "challenging" prompts of RealToxicityPrompts-style evaluations);
 * - `brown-head`: the opening words of an edited-English Brown sentence (a control where toxic
 *   completions should be rare).
 * Every row records its kind, so rates can be reported per kind as well as overall.
 */
import { DiagnosticError, writeJsonAtomic, atomicWriteFileSync } from '@rlhfjs/core';
import { unitHash } from './hash';
import { WordListMatcher } from './lexicon';
import { loadCorpus, type CorpusItem, type LoadCorpusOptions } from './load';
import type { CorpusSpecInput } from './spec';

export type EvalPromptKind = 'informal-tail' | 'before-lexicon-word' | 'brown-head';

export interface EvalPrompt {
  /** `<corpus sentence id>#<kind>`. */
  id: string;
  prompt: string;
  kind: EvalPromptKind;
  source: string;
  /** The rest of the original sentence (what a person wrote next), for reference. */
  continuation: string;
}

export interface EvalPromptOptions {
  /** The corpus spec the base model was pretrained with, so its held-out sentences are unseen text. */
  corpus: CorpusSpecInput;
  /** Prompts to build (fewer when the held-out sentences run out). Default 2000. */
  count?: number;
  /** Share of prompts cut before a lexicon word (capped by how many such held-out sentences exist). Default 0.15. */
  lexiconShare?: number;
  /** Share of the remaining prompts taken from Brown (the rest are informal tails). Default 0.2. */
  brownShare?: number;
  /** Lowest `cuss` rating that counts as a lexicon word. Default 2. */
  minRating?: number;
  /** Fewest words in a prompt. Default 3. */
  minPromptWords?: number;
  /** Most words in a prompt (longer heads are cut from the left). Default 16. */
  maxPromptWords?: number;
  /** Seed of the selection and of the cut positions. Default 1234. */
  seed?: number;
  /**
   * Which corpus sentences to cut: "heldOut" (default; unseen by a model pretrained on the same spec,
   * for evaluation) or "train" (for RL training prompts that never overlap the evaluation prompts).
   */
  split?: 'heldOut' | 'train';
}

interface Resolved {
  count: number;
  lexiconShare: number;
  brownShare: number;
  minRating: number;
  minPromptWords: number;
  maxPromptWords: number;
  seed: number;
}

const WORD_SPAN = /\S+/g;

function spans(text: string): { start: number; end: number; word: string }[] {
  const out: { start: number; end: number; word: string }[] = [];
  for (const m of text.matchAll(WORD_SPAN)) out.push({ start: m.index as number, end: (m.index as number) + m[0].length, word: m[0] });
  return out;
}

/** Prompt = words [from, to) of the sentence, at most maxPromptWords (dropping from the left). */
function make(item: CorpusItem, kind: EvalPromptKind, cutAt: number, r: Resolved): EvalPrompt | undefined {
  const w = spans(item.text);
  if (cutAt < r.minPromptWords || cutAt >= w.length) return undefined;
  const from = Math.max(0, cutAt - r.maxPromptWords);
  return {
    id: `${item.id}#${kind}`,
    prompt: item.text.slice(w[from].start, w[cutAt - 1].end),
    kind,
    source: item.source,
    continuation: item.text.slice(w[cutAt - 1].end),
  };
}

/** Index of the first word holding a listed word or phrase, if any. */
function firstListedWord(text: string, matcher: WordListMatcher): number | undefined {
  const w = spans(text);
  for (let i = 0; i < w.length; i++) {
    if (matcher.matches(w[i].word)) return i;
    // a listed phrase starting at this word
    if (i + 1 < w.length && matcher.matches(`${w[i].word} ${w[i + 1].word}`) && !matcher.matches(w[i + 1].word)) return i;
  }
  return undefined;
}

/** Build the evaluation prompts (deterministic for a given spec, options and installed corpora). */
export function buildEvalPrompts(options: EvalPromptOptions, loadOpts: LoadCorpusOptions = {}): EvalPrompt[] {
  const r: Resolved = {
    count: options.count ?? 2000,
    lexiconShare: options.lexiconShare ?? 0.15,
    brownShare: options.brownShare ?? 0.2,
    minRating: options.minRating ?? 2,
    minPromptWords: options.minPromptWords ?? 3,
    maxPromptWords: options.maxPromptWords ?? 16,
    seed: options.seed ?? 1234,
  };
  // the same spec as pretraining (oversample rules included: they can move sentences into held-out)
  const corpus = loadCorpus(options.corpus, loadOpts);
  const matcher = WordListMatcher.cuss(r.minRating);
  const order = (items: CorpusItem[]): CorpusItem[] =>
    items
      .map((it) => ({ it, h: unitHash(r.seed, it.id) }))
      .sort((a, b) => a.h - b.h || (a.it.id < b.it.id ? -1 : 1))
      .map((x) => x.it);

  const pool = options.split === 'train' ? corpus.trainItems : corpus.heldOutItems;
  const informal = order(pool.filter((it) => it.source !== 'brown'));
  const brown = order(pool.filter((it) => it.source === 'brown'));
  const seen = new Set<string>();
  const used = new Set<string>();
  const out: EvalPrompt[] = [];
  const take = (p: EvalPrompt | undefined, itemId: string): boolean => {
    if (!p || seen.has(p.prompt) || used.has(itemId)) return false;
    seen.add(p.prompt);
    used.add(itemId);
    out.push(p);
    return true;
  };

  // 1. cut before a lexicon word
  const wantLexicon = Math.round(r.count * r.lexiconShare);
  for (const it of informal) {
    if (out.length >= wantLexicon) break;
    const at = firstListedWord(it.text, matcher);
    if (at !== undefined) take(make(it, 'before-lexicon-word', at, r), it.id);
  }
  // 2. Brown heads and informal tails share the rest
  const rest = r.count - out.length;
  const wantBrown = Math.round(rest * r.brownShare);
  let nBrown = 0;
  for (const it of brown) {
    if (nBrown >= wantBrown) break;
    const n = spans(it.text).length;
    const cut = Math.min(n - 1, r.minPromptWords + Math.floor(unitHash(r.seed ^ 0x9e37, it.id) * 8));
    if (take(make(it, 'brown-head', cut, r), it.id)) nBrown++;
  }
  for (const it of informal) {
    if (out.length >= r.count) break;
    const n = spans(it.text).length;
    const drop = 1 + Math.floor(unitHash(r.seed ^ 0x85eb, it.id) * 3);
    take(make(it, 'informal-tail', n - drop, r), it.id);
  }
  if (out.length === 0) {
    throw new DiagnosticError({
      code: 'corpus/no-eval-prompts',
      message: `no evaluation prompts could be cut from ${pool.length} ${options.split === 'train' ? 'training' : 'held-out'} sentences`,
      pointer: loadOpts.pointer,
      plugin: loadOpts.plugin,
      fix: 'Raise the corpus heldOutFraction (the prompts come from held-out sentences only) or lower minPromptWords.',
    });
  }
  return out;
}

/** Counts per kind, for logs and reports. */
export function countByKind(prompts: readonly EvalPrompt[]): Record<EvalPromptKind, number> {
  const c: Record<EvalPromptKind, number> = { 'informal-tail': 0, 'before-lexicon-word': 0, 'brown-head': 0 };
  for (const p of prompts) c[p.kind]++;
  return c;
}

/**
 * Write prompts as JSONL (one `{"prompt", "id", "kind", "source", "continuation"}` per line, readable
 * by the `prompts` environment), atomically, plus `<file>.meta.json` with the options and counts.
 */
export function writeEvalPrompts(file: string, prompts: readonly EvalPrompt[], options?: EvalPromptOptions): void {
  atomicWriteFileSync(file, prompts.map((p) => JSON.stringify({ prompt: p.prompt, id: p.id, kind: p.kind, source: p.source, continuation: p.continuation })).join('\n') + '\n');
  if (options) writeJsonAtomic(`${file}.meta.json`, { options, counts: countByKind(prompts), total: prompts.length });
}
