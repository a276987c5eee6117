import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeProject, rlhf } from '@rlhfjs/core/testing';
import { REPO } from '../helpers/paths';

jest.setTimeout(180_000);

// A tiny RL project whose reward is the http reward, scoring against a server in this process that
// records the authorization header it receives.
const TEXT = ['the cat sat on the mat .', 'a small bird sang a song .', 'we walked home slowly .'];
let project: ReturnType<typeof makeProject>;
let server: http.Server;
let url: string;
const seenAuth = new Set<string>();

function recipe(rewardOptions: string): string {
  return `name: tiny-http
plugins: ["@rlhfjs/plugin-lm", "@rlhfjs/plugin-algorithms", "@rlhfjs/plugin-rewards"]
agent:
  use: gpt
  options:
    init: { contextSize: 24, dModel: 8, nLayers: 1, nHeads: 2, dMlp: 16, tokenizer: { file: tokenizer.json } }
    valueHead: true
    sampling: { maxNewTokens: 4 }
environment: { use: prompts, options: { path: prompts.jsonl, heldOutFraction: 0 } }
rewards: [ { use: http, options: ${rewardOptions} } ]
algorithm: { use: ppo, options: { promptsPerIteration: 2, samplesPerPrompt: 1, minibatchSize: 2, epochs: 1, learningRate: 0.001 } }
klController: { use: fixed, options: {} }
runtime: { backend: cpu, seed: 3, steps: 1, checkpointEvery: 1, nativeKernels: forbid }
`;
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const f = path.join(e.parentPath, e.name);
    if (fs.readFileSync(f).includes(needle)) hits.push(path.relative(dir, f));
  }
  return hits;
}

beforeAll(async () => {
  project = makeProject({
    '@rlhfjs/plugin-lm': path.join(REPO, 'plugins', 'lm'),
    '@rlhfjs/plugin-algorithms': path.join(REPO, 'plugins', 'algorithms'),
    '@rlhfjs/plugin-rewards': path.join(REPO, 'plugins', 'rewards'),
  });
  const { ByteBPETokenizer } = require(path.join(REPO, 'plugins', 'lm', 'dist', 'tokenizer', 'byte-bpe.js'));
  project.write('tokenizer.json', JSON.stringify(ByteBPETokenizer.train(TEXT, { vocabSize: 280 }).toJSON()));
  project.write('prompts.jsonl', ['the cat', 'a small', 'we walked', 'the mat'].map((t) => JSON.stringify({ prompt: t })).join('\n') + '\n');
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      for (const h of ['authorization', 'x-other']) if (req.headers[h]) seenAuth.add(String(req.headers[h]));
      res.end(JSON.stringify({ scores: (JSON.parse(body) as { samples: unknown[] }).samples.map(() => 0.5) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/score`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  project.cleanup();
  delete process.env.RLHF_TEST_REWARD_TOKEN;
});

test('a header read from the environment is sent, and appears in no file of the run folder', async () => {
  project.write('env.yaml', recipe(`{ url: "${url}", headersFromEnv: { authorization: RLHF_TEST_REWARD_TOKEN } }`));
  delete process.env.RLHF_TEST_REWARD_TOKEN;
  // validate does not create the reward, so it needs no secret
  const checked = await rlhf(['validate', 'env.yaml'], project.dir);
  expect({ code: checked.code, err: checked.err }).toEqual({ code: 0, err: '' });
  const missing = await rlhf(['train', 'env.yaml', '--out', 'runs/no-env'], project.dir);
  expect(missing.code).not.toBe(0);
  expect(missing.err).toContain('environment variable RLHF_TEST_REWARD_TOKEN, which is not set');
  expect(missing.err).toContain('/rewards/0/options/headersFromEnv/authorization');

  process.env.RLHF_TEST_REWARD_TOKEN = 'Bearer env-s3cr3t-4711';
  const r = await rlhf(['train', 'env.yaml', '--out', 'runs/env'], project.dir);
  expect(r.err).not.toMatch(/error/i);
  expect(r.code).toBe(0);
  expect(seenAuth.has('Bearer env-s3cr3t-4711')).toBe(true);
  const dir = path.join(project.dir, 'runs', 'env');
  expect(fs.existsSync(path.join(dir, 'summary.json'))).toBe(true);
  expect(filesContaining(dir, 'env-s3cr3t-4711')).toEqual([]);
  // only the variable's name is stored; nothing was redacted, so the folder keeps the usual mode
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'recipe.resolved.json'), 'utf8')).rewards[0].options.headersFromEnv).toEqual({ authorization: 'RLHF_TEST_REWARD_TOKEN' });
});

test('a header given in the recipe or with --set is redacted in recipe.resolved.json and manifest.json, the folder is 0700, and reproduce and resume ask for it', async () => {
  project.write('direct.yaml', recipe(`{ url: "${url}", headers: { authorization: "Bearer recipe-s3cr3t-1" } }`));
  const r = await rlhf(['train', 'direct.yaml', '--out', 'runs/direct', '--set', 'rewards.0.options.headers.x-other=Bearer set-s3cr3t-2'], project.dir);
  expect(r.code).toBe(0);
  expect(seenAuth.has('Bearer recipe-s3cr3t-1')).toBe(true);
  expect(seenAuth.has('Bearer set-s3cr3t-2')).toBe(true);
  const dir = path.join(project.dir, 'runs', 'direct');
  expect(filesContaining(dir, 'recipe-s3cr3t-1')).toEqual([]);
  expect(filesContaining(dir, 'set-s3cr3t-2')).toEqual([]);
  const stored = JSON.parse(fs.readFileSync(path.join(dir, 'recipe.resolved.json'), 'utf8'));
  expect(stored.rewards[0].options.headers).toEqual({ authorization: '<redacted>', 'x-other': '<redacted>' });
  expect(stored.rewards[0].options.url).toBe(url);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  expect(manifest.command).toContain('rewards.0.options.headers.x-other=<redacted>');
  expect(fs.statSync(dir).mode & 0o777).toBe(0o700);

  const again = await rlhf(['reproduce', 'runs/direct', '--out', 'runs/direct-again'], project.dir);
  expect(again.code).not.toBe(0);
  expect(again.err).toContain('the stored recipe holds <redacted> at /rewards/0/options/headers/authorization (option headers.authorization of reward/http)');
  expect(again.err).toContain('headersFromEnv');
  expect(fs.existsSync(path.join(project.dir, 'runs', 'direct-again'))).toBe(false);
  const resumed = await rlhf(['train', '--resume', 'runs/direct', '--set', 'rewards.0.options.headers.authorization=Bearer recipe-s3cr3t-1'], project.dir);
  expect(resumed.code).not.toBe(0);
  // the one still missing is named, with the --set that gives it
  expect(resumed.err).toContain("--set 'rewards.0.options.headers.x-other=...'");
  expect(resumed.err).not.toContain('/rewards/0/options/headers/authorization');
});
