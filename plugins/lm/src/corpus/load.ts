import { DiagnosticError, Rng } from '@rlhfjs/core';
import { loadBrown } from './brown';
import { unitHash } from './hash';
import { WordListMatcher } from './lexicon';
import { loadNlpCorpus, normalizeSpace } from './nlp-corpus';
import { resolveCorpusSpec, type CorpusSourceName, type CorpusSpec, type CorpusSpecInput } from './spec';
import { readTextRecords } from './text-file';

export interface CorpusItem {
  /** Stable id: `brown:ca01:12`, `nlp-corpus:3:77`, `file:<path>:<line>`. */
  id: string;
  source: CorpusSourceName;
  text: string;
  /** What decides the split: the Brown document id or, for other sources, the sentence text. */
  splitKey: string;
}

export interface SourceStats {
  source: string;
  sentences: number;
  train: number;
  heldOut: number;
  /** Training rows this source contributes after weights and oversampling. */
  trainRows: number;
  /** Distinct training sentences that an oversampling rule or hook multiplied. */
  oversampled: number;
}

export interface LoadedCorpus {
  /** Training sentences, weights and oversampling applied, in a seeded shuffled order. */
  train: string[];
  /** Held-out sentences, each once, in source order. */
  heldOut: string[];
  /** The held-out sentences with their ids and sources (same order as `heldOut`). */
  heldOutItems: CorpusItem[];
  /** The distinct training sentences with their ids, in source order, before weights and oversampling. */
  trainItems: CorpusItem[];
  stats: SourceStats[];
}

export interface LoadCorpusOptions {
  /** Resolve a `file` source's path (a plugin passes its FactoryContext.resolvePath). */
  resolvePath?: (p: string) => string;
  /** Where the spec sits in the recipe, e.g. `/job/options/corpus`, for messages. */
  pointer?: string;
  /** The plugin that reads the spec, for messages. */
  plugin?: string;
  /** Drop sentences (from train and held-out) for which this returns false. */
  filter?: (item: CorpusItem) => boolean;
  /**
   * A multiplier for a training sentence, on top of the source weight; combined with the spec's
   * oversample rules by taking the largest factor. Return 1 to leave a sentence alone.
   */
  oversample?: (item: CorpusItem) => number;
}

/** Copies of a sentence for a real-valued multiplier: ⌊m⌋, plus one more for a hash-chosen share frac(m). */
function copies(m: number, seed: number, id: string): number {
  const whole = Math.floor(m);
  const frac = m - whole;
  return whole + (frac > 0 && unitHash(seed ^ 0x5bd1e995, id) < frac ? 1 : 0);
}

function sourceItems(src: CorpusSpec['sources'][number], index: number, opts: LoadCorpusOptions): CorpusItem[] {
  const pointer = opts.pointer !== undefined ? `${opts.pointer}/sources/${index}` : undefined;
  let items: CorpusItem[];
  if (src.name === 'brown') {
    items = [];
    for (const doc of loadBrown()) {
      doc.sentences.forEach((text, i) => items.push({ id: `brown:${doc.id}:${i}`, source: 'brown', text, splitKey: `brown:${doc.id}` }));
    }
  } else if (src.name === 'nlp-corpus') {
    items = loadNlpCorpus().map((s) => ({ id: s.id, source: 'nlp-corpus' as const, text: s.text, splitKey: s.text }));
  } else {
    if (src.path === undefined || src.path.length === 0) {
      throw new DiagnosticError({
        code: 'corpus/missing-path',
        message: `corpus source ${index} is a "file" source without a path`,
        pointer: pointer && `${pointer}/path`,
        plugin: opts.plugin,
        fix: 'Add `path: my-text.txt` (one sentence per line) or a .jsonl file.',
      });
    }
    const file = opts.resolvePath ? opts.resolvePath(src.path) : src.path;
    items = readTextRecords(file, { format: src.format, field: src.field, shownPath: src.path, plugin: opts.plugin, pointer: pointer && `${pointer}/path`, noun: 'sentence' })
      .map((r) => ({ id: `file:${src.path}:${r.line}`, source: 'file' as const, text: normalizeSpace(r.text), splitKey: normalizeSpace(r.text) }))
      .filter((it) => it.text.length > 0);
  }
  if (src.limit !== undefined) items = items.slice(0, src.limit);
  return opts.filter ? items.filter(opts.filter) : items;
}

/**
 * Load and split a corpus. Deterministic: the same spec and the same installed packages give the
 * same train and held-out lists. A sentence lands in held-out when a hash of its split key (the
 * document for Brown, the text otherwise) and the seed falls below `heldOutFraction`, so the split
 * does not change when sources are added or limits raised, and duplicates never straddle it.
 */
export function loadCorpus(input: CorpusSpecInput | CorpusSpec, opts: LoadCorpusOptions = {}): LoadedCorpus {
  const spec = resolveCorpusSpec(input as CorpusSpecInput);
  const rules = spec.oversample.map((r, i) => {
    const parts: WordListMatcher[] = [];
    if (r.lexicon === 'cuss') parts.push(WordListMatcher.cuss(r.minRating));
    if (r.words && r.words.length > 0) parts.push(new WordListMatcher(r.words));
    if (parts.length === 0) {
      throw new DiagnosticError({
        code: 'corpus/empty-oversample-rule',
        message: `oversample rule ${i} names neither a lexicon nor words, so it matches nothing`,
        pointer: opts.pointer !== undefined ? `${opts.pointer}/oversample/${i}` : undefined,
        plugin: opts.plugin,
        fix: 'Add `lexicon: cuss` or a `words` list, or remove the rule.',
      });
    }
    return {
      times: r.times,
      heldOutFraction: r.heldOutFraction,
      sources: r.sources ? new Set<string>(r.sources) : undefined,
      match: (t: string) => parts.some((p) => p.matches(t)),
    };
  });

  const train: string[] = [];
  const heldOutItems: CorpusItem[] = [];
  const trainItems: CorpusItem[] = [];
  const stats: SourceStats[] = [];
  spec.sources.forEach((src, index) => {
    const items = sourceItems(src, index, opts);
    const st: SourceStats = { source: src.name === 'file' ? `file:${src.path}` : src.name, sentences: items.length, train: 0, heldOut: 0, trainRows: 0, oversampled: 0 };
    const applicable = rules.filter((r) => !r.sources || r.sources.has(src.name));
    for (const it of items) {
      const matched = applicable.filter((r) => r.match(it.text));
      let fraction = spec.heldOutFraction;
      if (src.name !== 'brown') for (const r of matched) fraction = Math.max(fraction, r.heldOutFraction ?? 0);
      if (unitHash(spec.seed, it.splitKey) < fraction) {
        heldOutItems.push(it);
        st.heldOut++;
        continue;
      }
      st.train++;
      trainItems.push(it);
      let factor = 1;
      for (const r of matched) factor = Math.max(factor, r.times);
      if (opts.oversample) factor = Math.max(factor, opts.oversample(it));
      if (factor > 1) st.oversampled++;
      const n = copies(src.weight * factor, spec.seed, it.id);
      for (let k = 0; k < n; k++) train.push(it.text);
      st.trainRows += n;
    }
    stats.push(st);
  });
  new Rng(spec.seed).fork('corpus-order').shuffle(train);
  return { train, heldOut: heldOutItems.map((it) => it.text), heldOutItems, trainItems, stats };
}
