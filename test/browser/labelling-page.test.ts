/**
 * The labelling page in a real headless browser: keyboard answers, undo, reload. Needs Debian's
 * chromium at /usr/bin/chromium (CI installs it); skipped with a note when it is absent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { LabelAppender, WebLabeller, pairItem, pointwiseItem, readLabels } from '@rlhfjs/plugin-rewards';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`skipping the labelling page browser test: ${CHROMIUM} is absent (apt-get install chromium)`);
}
const maybe = haveChromium ? describe : describe.skip;

maybe('labelling page in headless chromium', () => {
  let browser: Browser;
  let dir: string;
  let appender: LabelAppender;
  let web: WebLabeller;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'page-'));
    appender = new LabelAppender(path.join(dir, 'labels.jsonl'));
    web = new WebLabeller(appender, { labellerId: 'browser-tester' });
  });
  afterEach(async () => {
    await web.close();
    appender.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const answers = (page: Page) => page.$$eval('#queue li', (lis) => lis.map((li) => (li as HTMLElement).dataset.answer));

  test('label with the keyboard, undo, reload: the answers are still there and on disk', async () => {
    const items = [pointwiseItem('Tell me', 'you are kind'), pointwiseItem('Tell me', 'what a load of crap'), pointwiseItem('Say', '<b>not html</b>'), pointwiseItem('Say', 'the last one')];
    const batch = web.label(items, { source: { model: 'test-model', step: 0 } });
    const url = await web.start();
    const page = await browser.newPage();
    const posts: Array<Promise<Record<string, string>>> = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') posts.push(r.allHeaders());
    });
    await page.goto(url);
    await page.waitForSelector('#current:not([hidden])');
    expect(await page.textContent('#completion')).toBe('you are kind');
    expect(await page.textContent('#count')).toBe('0 / 4');

    await page.keyboard.press('0');
    await page.keyboard.press('1');
    await page.waitForFunction(() => document.querySelector('#count')?.textContent === '2 / 4');
    // model text is shown as text, never as markup
    expect(await page.textContent('#completion')).toBe('<b>not html</b>');
    expect(await page.$('#completion b')).toBeNull();
    await page.keyboard.press('1'); // a wrong answer...
    await page.waitForFunction(() => document.querySelector('#count')?.textContent === '3 / 4');
    await page.keyboard.press('u'); // ...undone
    await page.waitForFunction(() => document.querySelector('#count')?.textContent === '2 / 4');
    expect(await page.textContent('#completion')).toBe('<b>not html</b>');
    await page.keyboard.press('s');
    await page.waitForFunction(() => document.querySelector('#count')?.textContent === '3 / 4');
    expect(await answers(page)).toEqual(['0', '1', 'skip', '']);

    await page.reload();
    await page.waitForFunction(() => document.querySelector('#count')?.textContent === '3 / 4');
    expect(await answers(page)).toEqual(['0', '1', 'skip', '']);
    expect(await page.textContent('#completion')).toBe('the last one');

    await page.keyboard.press('0');
    const records = await batch;
    expect(records.map((r) => (r?.type === 'pointwise' ? r.label : undefined))).toEqual([0, 1, null, 0]);
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.includes('Waiting for the next batch'));
    const { labels, lines } = readLabels(appender.file);
    expect(lines.map((l) => l.type)).toEqual(['pointwise', 'pointwise', 'pointwise', 'undo', 'pointwise', 'pointwise']);
    expect(labels.every((l) => l.labeller.id === 'browser-tester' && !l.labeller.simulated && l.source?.model === 'test-model')).toBe(true);
    // the page's own POSTs carry what the server requires (JSON, its own origin)
    expect(posts).toHaveLength(6);
    for (const h of await Promise.all(posts)) expect([h['content-type'], h.origin, h['sec-fetch-site']]).toEqual(['application/json', new URL(url).origin, 'same-origin']);
    // the batch went to training: an undo now is refused, shown on the page, and the file is unchanged
    const before = fs.readFileSync(appender.file, 'utf8');
    await page.keyboard.press('u');
    await page.waitForFunction(() => document.querySelector('#message')?.textContent?.includes('already been handed to training'));
    expect(fs.readFileSync(appender.file, 'utf8')).toBe(before);
    await page.close();
  });

  test('pairs are answered with a and b; a page without the token is refused', async () => {
    const items = [pairItem('Greet', 'hello there', 'go away'), pairItem('Thank', 'cheers', 'thanks so much')];
    const batch = web.label(items);
    const url = await web.start();
    const page = await browser.newPage();
    const denied = await page.goto(url.replace(/token=.*/, 'token=guess'));
    expect(denied?.status()).toBe(403);
    await page.goto(url);
    await page.waitForSelector('#pair:not([hidden])');
    expect(await page.textContent('#a')).toBe('hello there');
    await page.keyboard.press('a');
    await page.keyboard.press('b');
    const records = await batch;
    expect(records[0]).toMatchObject({ chosen: 'hello there', rejected: 'go away' });
    expect(records[1]).toMatchObject({ chosen: 'thanks so much', rejected: 'cheers' });
    await page.close();
  });
});
