import { Progress } from './progress';

/** A stream that is not a terminal, collecting what is written. */
function pipe(): NodeJS.WriteStream & { lines: string[] } {
  const lines: string[] = [];
  return { isTTY: false, lines, write: (s: string) => lines.push(s) > 0 } as unknown as NodeJS.WriteStream & { lines: string[] };
}

const printedSteps = (lines: string[]) => lines.map((l) => Number(/step (\d+)\//.exec(l)?.[1]));

describe('progress lines off a terminal', () => {
  test('one line every `every` steps, plus the first and the last', () => {
    const stream = pipe();
    const p = new Progress({ total: 20, every: 5, stream, label: 'run' });
    for (let step = 0; step < 20; step++) p.update(step, { 'loss/total': 0.5 });
    expect(printedSteps(stream.lines)).toEqual([1, 5, 10, 15, 20]);
    expect(stream.lines[1]).toMatch(/^run step 5\/20 \(.*\) loss\/total=0\.5000\n$/);
  });

  test('a job that logs every 7 steps still gets a line whenever a multiple of `every` was passed', () => {
    const stream = pipe();
    const p = new Progress({ total: 50, every: 5, stream });
    // steps 6, 13, 20, ... : 7, 14, 21, 28, 35, 42, 49 done, then the last
    for (let step = 6; step < 50; step += 7) p.update(step, {});
    p.update(49, {});
    // 7 is the first; 14 passed 10; 21 passed 15 and 20; 28 passed 25; 35 reached 35; 42 passed 40; 49 passed 45; 50 is the end
    expect(printedSteps(stream.lines)).toEqual([7, 14, 21, 28, 35, 42, 49, 50]);
  });

  test('a resumed run counts from where it starts', () => {
    const stream = pipe();
    const p = new Progress({ total: 20, start: 12, every: 5, stream });
    for (let step = 12; step < 20; step++) p.update(step, {});
    expect(printedSteps(stream.lines)).toEqual([13, 15, 20]);
  });
});
