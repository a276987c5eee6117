import { createHash } from 'node:crypto';

/** Who produced a label. `simulated` is true for every labeller that is not a person. */
export interface LabellerInfo {
  kind: 'human' | 'simulated' | 'replay';
  /** A stable name: a person's handle, or a simulated labeller's name and settings. */
  id: string;
  simulated: boolean;
}

/** What produced the labelled text. */
export interface LabelSource {
  /** Checkpoint path or run id. */
  model: string;
  /** Training iteration, or -1 outside training. */
  step: number;
}

interface Provenance {
  /** Item id: a content hash of the item (see {@link itemId}), so the same item always has the same id. */
  id: string;
  labeller: LabellerInfo;
  /** ISO 8601 time the label was given. */
  time: string;
  source?: LabelSource;
  /** Prompt id from the environment, when known. */
  promptId?: string;
}

/** A 0/1 judgement of one completion. `label: null, skipped: true` records a skip. */
export interface PointwiseLabel extends Provenance {
  type: 'pointwise';
  prompt: string;
  completion: string;
  label: 0 | 1 | null;
  skipped?: boolean;
}

/**
 * A preference between two completions. For a skip, `chosen` and `rejected` are null and `a`/`b`
 * hold the two completions in the order they were shown.
 */
export interface PairLabel extends Provenance {
  type: 'pair';
  prompt: string;
  chosen: string | null;
  rejected: string | null;
  a?: string;
  b?: string;
  skipped?: boolean;
}

/** Withdraws the current label of item `id` (an undo). The file is never rewritten. */
export interface UndoRecord {
  type: 'undo';
  id: string;
  time: string;
  labeller: LabellerInfo;
}

export type LabelRecord = PointwiseLabel | PairLabel;
export type LabelLine = LabelRecord | UndoRecord;

/** Something to be labelled. */
export type LabelItem =
  | { type: 'pointwise'; id: string; prompt: string; completion: string; promptId?: string }
  | { type: 'pair'; id: string; prompt: string; a: string; b: string; promptId?: string };

/** A labeller's answer for one item. */
export type Decision =
  | { kind: 'label'; label: 0 | 1 }
  | { kind: 'choice'; choice: 'a' | 'b' }
  | { kind: 'skip' };

/**
 * The stable id of an item: a hash of what is shown. A pair's id does not depend on which
 * completion was shown first.
 */
export function itemId(item: { type: 'pointwise'; prompt: string; completion: string } | { type: 'pair'; prompt: string; a: string; b: string }): string {
  const h = createHash('sha256');
  if (item.type === 'pointwise') h.update(JSON.stringify(['pointwise', item.prompt, item.completion]));
  else h.update(JSON.stringify(['pair', item.prompt, ...[item.a, item.b].sort()]));
  return h.digest('hex').slice(0, 16);
}

export function pointwiseItem(prompt: string, completion: string, promptId?: string): LabelItem {
  return { type: 'pointwise', id: itemId({ type: 'pointwise', prompt, completion }), prompt, completion, ...(promptId ? { promptId } : {}) };
}

export function pairItem(prompt: string, a: string, b: string, promptId?: string): LabelItem {
  return { type: 'pair', id: itemId({ type: 'pair', prompt, a, b }), prompt, a, b, ...(promptId ? { promptId } : {}) };
}

/** The record a decision on an item becomes. */
export function makeRecord(item: LabelItem, decision: Decision, labeller: LabellerInfo, source?: LabelSource, time = new Date()): LabelRecord {
  const base = { id: item.id, labeller, time: time.toISOString(), ...(source ? { source } : {}), ...(item.promptId ? { promptId: item.promptId } : {}) };
  if (item.type === 'pointwise') {
    if (decision.kind === 'choice') throw new Error(`item ${item.id} is a single completion: answer 0 or 1, not a/b`);
    if (decision.kind === 'skip') return { type: 'pointwise', ...base, prompt: item.prompt, completion: item.completion, label: null, skipped: true };
    return { type: 'pointwise', ...base, prompt: item.prompt, completion: item.completion, label: decision.label };
  }
  if (decision.kind === 'label') throw new Error(`item ${item.id} is a pair: answer a or b, not 0/1`);
  if (decision.kind === 'skip') return { type: 'pair', ...base, prompt: item.prompt, chosen: null, rejected: null, a: item.a, b: item.b, skipped: true };
  const [chosen, rejected] = decision.choice === 'a' ? [item.a, item.b] : [item.b, item.a];
  return { type: 'pair', ...base, prompt: item.prompt, chosen, rejected };
}

/** The key replay looks labels up by. */
export function recordKey(r: LabelRecord): string {
  if (r.type === 'pointwise') return itemId({ type: 'pointwise', prompt: r.prompt, completion: r.completion });
  if (r.skipped) return itemId({ type: 'pair', prompt: r.prompt, a: r.a ?? '', b: r.b ?? '' });
  return itemId({ type: 'pair', prompt: r.prompt, a: r.chosen ?? '', b: r.rejected ?? '' });
}

const LABELLER_KINDS = ['human', 'simulated', 'replay'];

/**
 * Check one parsed line. Returns the problems found (field path and what is wrong), empty when valid.
 */
export function checkLine(v: unknown): string[] {
  const out: string[] = [];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['a line must be a JSON object'];
  const o = v as Record<string, unknown>;
  const str = (k: string, allowNull = false): void => {
    if (allowNull && o[k] === null) return;
    if (typeof o[k] !== 'string') out.push(`"${k}" must be a string${allowNull ? ' or null' : ''}, got ${describe(o[k])}`);
  };
  str('id');
  str('time');
  if (typeof o.time === 'string' && Number.isNaN(Date.parse(o.time))) out.push(`"time" must be an ISO 8601 date, got "${o.time}"`);
  const lab = o.labeller as Record<string, unknown> | undefined;
  if (typeof lab !== 'object' || lab === null) out.push(`"labeller" must be an object { kind, id, simulated }, got ${describe(lab)}`);
  else {
    if (!LABELLER_KINDS.includes(lab.kind as string)) out.push(`"labeller.kind" must be one of ${LABELLER_KINDS.join(', ')}, got ${describe(lab.kind)}`);
    if (typeof lab.id !== 'string') out.push(`"labeller.id" must be a string, got ${describe(lab.id)}`);
    if (typeof lab.simulated !== 'boolean') out.push(`"labeller.simulated" must be true or false, got ${describe(lab.simulated)}`);
  }
  if (o.source !== undefined) {
    const s = o.source as Record<string, unknown>;
    if (typeof s !== 'object' || s === null || typeof s.model !== 'string' || typeof s.step !== 'number') {
      out.push(`"source" must be { "model": string, "step": number }, got ${JSON.stringify(o.source)}`);
    }
  }
  switch (o.type) {
    case 'undo':
      break;
    case 'pointwise':
      str('prompt');
      str('completion');
      if (o.skipped === true) {
        if (o.label !== null) out.push(`a skipped item must have "label": null, got ${describe(o.label)}`);
      } else if (o.label !== 0 && o.label !== 1) out.push(`"label" must be 0 or 1 (or null with "skipped": true), got ${describe(o.label)}`);
      break;
    case 'pair':
      str('prompt');
      if (o.skipped === true) {
        str('a');
        str('b');
      } else {
        str('chosen');
        str('rejected');
      }
      break;
    default:
      out.push(`"type" must be "pointwise", "pair" or "undo", got ${describe(o.type)}`);
  }
  return out;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}
