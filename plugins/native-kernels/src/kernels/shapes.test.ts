/** The shape planning behind the kernels, checked against layouts worked out by hand. */
import { batchIndex } from './batch-matmul';
import { collapseCopy } from './copy';
import { planBroadcast } from './elementwise';
import { reductionView } from './reduce';

const plain = (p: { shape: Int32Array; aStrides: Int32Array; bStrides: Int32Array }) => ({
  shape: Array.from(p.shape),
  a: Array.from(p.aStrides),
  b: Array.from(p.bStrides),
});

describe('planBroadcast', () => {
  it('merges a bias add over rows into one [rows, d] walk', () => {
    // [16,64,128] + [128]: b repeats every 128 elements
    expect(plain(planBroadcast([16, 64, 128], [128], [16, 64, 128]))).toEqual({ shape: [1024, 128], a: [128, 1], b: [0, 1] });
  });

  it('keeps a middle broadcast as its own dim', () => {
    // [2,3,4] + [3,1]: b has stride 1 along the 3 and 0 along the 4
    expect(plain(planBroadcast([2, 3, 4], [3, 1], [2, 3, 4]))).toEqual({ shape: [2, 3, 4], a: [12, 4, 1], b: [0, 1, 0] });
  });

  it('collapses same shapes to one run and drops size-1 dims', () => {
    expect(plain(planBroadcast([4, 5], [4, 5], [4, 5]))).toEqual({ shape: [20], a: [1], b: [1] });
    expect(plain(planBroadcast([1, 1, 1], [1], [1, 1, 1]))).toEqual({ shape: [], a: [], b: [] });
    expect(plain(planBroadcast([2, 3], [], [2, 3]))).toEqual({ shape: [6], a: [1], b: [0] });
  });
});

describe('reductionView', () => {
  it('views contiguous reduced axes as [outer, reduce, inner]', () => {
    expect(reductionView([4, 37], [1])).toEqual({ outer: 4, reduce: 37, inner: 1 });
    expect(reductionView([4, 37], [0])).toEqual({ outer: 1, reduce: 4, inner: 37 });
    expect(reductionView([3, 5, 6], [1])).toEqual({ outer: 3, reduce: 5, inner: 6 });
    expect(reductionView([3, 5, 6], [0, 1])).toEqual({ outer: 1, reduce: 15, inner: 6 });
  });

  it('ignores size-1 dims, so [0, 2] of [3, 1, 6] is contiguous', () => {
    expect(reductionView([3, 1, 6], [0, 2])).toEqual({ outer: 1, reduce: 18, inner: 1 });
  });

  it('refuses non-contiguous axes', () => {
    expect(reductionView([3, 4, 5], [0, 2])).toBeNull();
  });
});

describe('batchIndex', () => {
  it('maps output batches to operand batches under two-way broadcasting', () => {
    // out batch [2,3]; a has [2,1]: rows 0,0,0,1,1,1; b has [1,3]: 0,1,2,0,1,2
    expect(Array.from(batchIndex([2, 1], [2, 3]) as Int32Array)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(batchIndex([1, 3], [2, 3]) as Int32Array)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('needs no table for one-to-one or single batches', () => {
    expect(batchIndex([2, 3], [2, 3])).toBeNull();
    expect(batchIndex([1, 1], [2, 3])).toBeNull();
  });
});

describe('collapseCopy', () => {
  it('turns a column slice into rows of one contiguous run', () => {
    // rows of 128 out of [1024, 384]: source row stride 384, destination 128
    const p = collapseCopy([1024, 128], [384, 1], [128, 1]);
    expect([Array.from(p.shape), Array.from(p.src), Array.from(p.dst)]).toEqual([[1024, 128], [384, 1], [128, 1]]);
  });

  it('merges a full copy into one run and keeps a transpose strided', () => {
    const full = collapseCopy([4, 5, 6], [30, 6, 1], [30, 6, 1]);
    expect([Array.from(full.shape), Array.from(full.src), Array.from(full.dst)]).toEqual([[120], [1], [1]]);
    // [2,6,4,3] -> perm [0,2,1,3]: output [2,4,6,3] read through strides [72,3,12,1]
    const t = collapseCopy([2, 4, 6, 3], [72, 3, 12, 1], [72, 18, 3, 1]);
    expect([Array.from(t.shape), Array.from(t.src), Array.from(t.dst)]).toEqual([[2, 4, 6, 3], [72, 3, 12, 1], [72, 18, 3, 1]]);
  });
});
