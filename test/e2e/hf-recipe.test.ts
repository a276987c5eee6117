/**
 * The shipped Hugging Face recipe (recipes/hf): convert the base model to a GPT-2 folder, run a few
 * PPO iterations on it with the hf-causal-lm agent, kill and resume, and load the exported policy
 * back with `rlhf generate` / `rlhf logprobs`. Outputs go to a temporary folder (--set / --out).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO } from '../helpers/paths';
import { killAfterCheckpoint, rlhfSync } from './rl-project';
import { readSafetensorsHeader as readHeader } from '@rlhfjs/plugin-lm';

jest.setTimeout(300_000);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-hf-recipe-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ok = (r: { code: number; stderr: string }) => expect({ code: r.code, errors: r.stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, errors: [] });
const names = (file: string) => [...readHeader(file).keys()].sort();
/** The last step's metrics, without wall-clock ones. */
const lastMetrics = (dir: string) => {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').pop()!) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'time' && !k.startsWith('perf/')));
};

describe('recipes/hf: RLHF a model in Hugging Face layout', () => {
  test('convert, PPO (killed and resumed), export in the same layout, load back and generate', async () => {
    const base = path.join(tmp, 'base-gpt2');
    ok(rlhfSync(['train', 'recipes/hf/1-convert.yaml', '--set', `job.options.output=${base}`, '--out', path.join(tmp, 'convert')], REPO));
    const cfg = JSON.parse(fs.readFileSync(path.join(base, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect([cfg.model_type, cfg.architectures, cfg.n_layer, cfg.n_embd]).toEqual(['gpt2', ['GPT2LMHeadModel'], 4, 128]);
    expect(names(path.join(base, 'model.safetensors'))).toContain('transformer.h.3.attn.c_attn.weight');

    const ppo = (out: string, extra: string[] = []) => ['train', 'recipes/hf/2-ppo.yaml', '--set', `agent.options.path=${base}`, '--set', 'runtime.steps=3', '--set', 'runtime.checkpointEvery=1', '--set', 'algorithm.options.promptsPerIteration=4', '--set', 'algorithm.options.minibatchSize=4', '--out', out, ...extra];
    const straight = path.join(tmp, 'ppo');
    ok(rlhfSync(ppo(straight), REPO));
    const killed = path.join(tmp, 'ppo-killed');
    await killAfterCheckpoint(ppo(killed), REPO, killed, 1);
    ok(rlhfSync(['train', '--resume', killed], REPO));
    // the resumed run continues from the checkpoint's policy (an HF folder plus the raw weights) to the same numbers
    expect(lastMetrics(killed)).toEqual(lastMetrics(straight));

    for (const dir of [path.join(straight, 'final'), path.join(straight, 'checkpoints', 'step-000003', 'policy')]) {
      expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'value_head.safetensors']);
      const out = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(out).toEqual({ ...cfg, rlhfjs: { package: '@rlhfjs/plugin-lm', agent: 'hf-causal-lm' } });
      expect(names(path.join(dir, 'model.safetensors'))).toEqual(names(path.join(base, 'model.safetensors')));
      expect(names(path.join(dir, 'value_head.safetensors'))).toEqual(['v_head.bias', 'v_head.weight']);
      expect(fs.readFileSync(path.join(dir, 'tokenizer.json'))).toEqual(fs.readFileSync(path.join(base, 'tokenizer.json')));
    }
    // training moved the weights (compared tensor by tensor: the files' headers may order them differently)
    const bytesOf = (file: string, name: string) => {
      const e = readHeader(file).get(name)!;
      return fs.readFileSync(file).subarray(e.begin, e.end);
    };
    const changed = names(path.join(base, 'model.safetensors')).filter((n) => !bytesOf(path.join(base, 'model.safetensors'), n).equals(bytesOf(path.join(straight, 'final', 'model.safetensors'), n)));
    expect(changed).toContain('transformer.h.0.attn.c_attn.weight');

    const gen = rlhfSync(['generate', path.join(straight, 'final'), '-p', 'The food was', '--max-new-tokens', '8', '--json'], REPO);
    ok(gen);
    const row = JSON.parse(gen.stdout.trim()) as { prompt: string; completion: string; logprob: number };
    expect(row.prompt).toBe('The food was');
    expect(row.completion.length).toBeGreaterThan(0);
    expect(row.logprob).toBeLessThan(0);
    // a plain Hugging Face folder (no "rlhfjs" block in its config.json) loads through the hf-causal-lm agent too
    expect(cfg.rlhfjs).toBeUndefined();
    const plain = rlhfSync(['logprobs', base, '--text', 'The food'], REPO);
    ok(plain);
    expect((JSON.parse(plain.stdout.trim()) as { tokens: unknown[] }).tokens).toHaveLength(3);
    const lp = rlhfSync(['logprobs', path.join(straight, 'final'), '--text', 'The food was great'], REPO);
    ok(lp);
    const scored = JSON.parse(lp.stdout.trim()) as { tokens: Array<{ id: number; text: string; logprob: number | null }>; total: number };
    // BOS (<|endoftext|>, no log-prob), then the text's tokens, whose texts join back into it
    expect(scored.tokens[0]).toEqual({ id: 0, text: '<|endoftext|>', logprob: null });
    expect(scored.tokens.slice(1).map((t) => t.text).join('')).toBe('The food was great');
    expect(scored.tokens.slice(1).every((t) => typeof t.logprob === 'number' && t.logprob < 0)).toBe(true);
    expect(scored.total).toBeCloseTo(scored.tokens.slice(1).reduce((s, t) => s + (t.logprob as number), 0), 9);
  });
});
