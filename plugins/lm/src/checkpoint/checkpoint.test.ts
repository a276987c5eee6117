import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diagnosticThrownBy } from '@rlhfjs/core/testing';
import { ByteBPETokenizer } from '../tokenizer/byte-bpe';
import { checkTensorShapes, readCheckpoint, writeCheckpoint } from './checkpoint';
import type { NamedTensor } from './safetensors';

const tokenizer = ByteBPETokenizer.train(Array(20).fill('the cat sat on the mat, the end'), { vocabSize: 300 });
const config = { model_type: 'rlhfjs-gpt', vocab_size: tokenizer.vocabSize, n_layer: 1, rlhfjs: { package: '@rlhfjs/plugin-lm', agent: 'gpt' } };

function tensors(): Map<string, NamedTensor> {
  const w = new Float32Array(12);
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i) * 1e-3;
  return new Map<string, NamedTensor>([
    ['wte', { dtype: 'F32', shape: [3, 4], data: w }],
    ['steps', { dtype: 'I32', shape: [1], data: Int32Array.of(42) }],
  ]);
}

describe('checkpoint directory', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlhfjs-ckpt-'));
  });

  it('round-trips config, tokenizer, tensors and extra files bit-exactly', async () => {
    const dir = path.join(root, 'ckpt');
    await writeCheckpoint(dir, { config, tokenizer, tensors: tensors(), extraFiles: { 'state/opt.json': '{"t":1}', 'raw.bin': Uint8Array.of(1, 2, 3) } });
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'raw.bin', 'state', 'tokenizer.json']);
    const back = readCheckpoint(dir);
    expect(back.config).toEqual(config);
    expect(back.tokenizer.toJSON()).toEqual(tokenizer.toJSON());
    expect(back.tokenizer.encode('the cat')).toEqual(tokenizer.encode('the cat'));
    const w = back.tensors.get('wte')!;
    expect(Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)).toEqual(Buffer.from(tensors().get('wte')!.data.buffer));
    expect(back.metadata.producer).toBe('@rlhfjs/plugin-lm');
    expect(fs.readFileSync(path.join(dir, 'state/opt.json'), 'utf8')).toBe('{"t":1}');
    expect(Array.from(fs.readFileSync(path.join(dir, 'raw.bin')))).toEqual([1, 2, 3]);
  });

  it('replaces an existing checkpoint and leaves no temporary folders', async () => {
    const dir = path.join(root, 'ckpt');
    await writeCheckpoint(dir, { config, tokenizer, tensors: tensors(), extraFiles: { 'old.txt': 'x' } });
    await writeCheckpoint(dir, { config: { ...config, n_layer: 2 }, tokenizer: tokenizer.toJSON(), tensors: tensors() });
    expect(readCheckpoint(dir).config.n_layer).toBe(2);
    expect(fs.existsSync(path.join(dir, 'old.txt'))).toBe(false);
    expect(fs.readdirSync(root)).toEqual(['ckpt']);
  });

  it('rejects extra files that escape the directory or shadow the main files', async () => {
    await expect(writeCheckpoint(path.join(root, 'c'), { config, tokenizer, tensors: tensors(), extraFiles: { '../x': 'y' } })).rejects.toThrow(/relative path inside/);
    await expect(writeCheckpoint(path.join(root, 'c'), { config, tokenizer, tensors: tensors(), extraFiles: { 'config.json': 'y' } })).rejects.toThrow(/overwrite/);
    expect(fs.existsSync(path.join(root, 'c'))).toBe(false);
  });

  it('explains a missing directory, a missing file and corrupt files, naming the file', async () => {
    let e = diagnosticThrownBy(() => readCheckpoint(path.join(root, 'nowhere')));
    expect(e.diagnostics[0].code).toBe('checkpoint/missing-dir');
    expect(e.message).toMatch(/nowhere does not exist/);
    expect(e.diagnostics[0].fix).toMatch(/pretrain/);

    const dir = path.join(root, 'ckpt');
    await writeCheckpoint(dir, { config, tokenizer, tensors: tensors() });
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    e = diagnosticThrownBy(() => readCheckpoint(dir));
    expect(e.diagnostics[0].file).toBe(path.join(dir, 'tokenizer.json'));
    expect(e.message).toMatch(/tokenizer\.json does not exist/);

    await writeCheckpoint(dir, { config, tokenizer, tensors: tensors() });
    fs.writeFileSync(path.join(dir, 'config.json'), '{\n  "a": 1,\n  oops\n}');
    e = diagnosticThrownBy(() => readCheckpoint(dir));
    expect(e.message).toMatch(/config\.json is not a valid JSON object/);
    expect(e.diagnostics[0].line).toBe(3);

    await writeCheckpoint(dir, { config, tokenizer, tensors: tensors() });
    const st = path.join(dir, 'model.safetensors');
    fs.writeFileSync(st, fs.readFileSync(st).subarray(0, 20));
    e = diagnosticThrownBy(() => readCheckpoint(dir));
    expect(e.diagnostics[0].code).toBe('checkpoint/corrupt-safetensors');
    expect(e.message).toContain(st);

    await writeCheckpoint(dir, { config, tokenizer, tensors: tensors() });
    const tj = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
    tj.model.type = 'Unigram';
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tj));
    e = diagnosticThrownBy(() => readCheckpoint(dir));
    expect(e.message).toMatch(/tokenizer\.json: model\.type is "Unigram"/);
    expect(e.diagnostics[0].pointer).toBe('/model/type');
  });

  it('lists every tensor that does not match the architecture', () => {
    const e = diagnosticThrownBy(() =>
      checkTensorShapes('ckpt/model.safetensors', tensors(), new Map([['wte', [3, 5]], ['wpe', [8, 4]]])),
    );
    const msgs = e.diagnostics.map((d) => d.message);
    expect(msgs).toEqual([
      'ckpt/model.safetensors: tensor "wte" has shape [3,4], the model expects [3,5]',
      'ckpt/model.safetensors: missing tensor "wpe" [8,4]',
      'ckpt/model.safetensors: unexpected tensor "steps"',
    ]);
    expect(() => checkTensorShapes('f', tensors(), new Map([['wte', [3, 4]], ['steps', [1]]]))).not.toThrow();
  });
});
