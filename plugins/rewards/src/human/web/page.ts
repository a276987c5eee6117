/**
 * The labelling page: one self-contained HTML document (no external assets, so it works offline).
 * Every text from the model is put in with `textContent`, never as HTML.
 */
export function renderPage(token: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rlhfjs labelling</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 860px; padding: 1rem; color: #1b1b1b; }
  header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; }
  progress { width: 16rem; }
  #current { border: 2px solid #345; border-radius: 8px; padding: 1rem; margin: 1rem 0; }
  .text { white-space: pre-wrap; background: #f4f4f4; border-radius: 4px; padding: .5rem; margin: .25rem 0 .75rem; }
  .label { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #555; }
  button { font-size: 1rem; padding: .4rem .9rem; margin-right: .4rem; }
  kbd { border: 1px solid #aaa; border-radius: 3px; padding: 0 .3rem; font-size: .85rem; }
  #queue { list-style: none; padding: 0; }
  #queue li { display: flex; gap: .75rem; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
  #queue li.active { background: #eef4ff; }
  #queue .answer { min-width: 3.5rem; font-weight: 600; }
  #queue .snippet { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  #message { min-height: 1.4rem; color: #a00; }
</style>
</head>
<body>
<header>
  <h1>Labelling</h1>
  <div><progress id="progress" value="0" max="1"></progress> <span id="count">0 / 0</span></div>
</header>
<p id="status">Loading…</p>
<section id="current" hidden>
  <div class="label">Prompt</div><div class="text" id="prompt"></div>
  <div id="single">
    <div class="label">Completion</div><div class="text" id="completion"></div>
  </div>
  <div id="pair">
    <div class="label">A</div><div class="text" id="a"></div>
    <div class="label">B</div><div class="text" id="b"></div>
  </div>
  <p id="question"></p>
  <div id="single-buttons">
    <button data-answer="1"><kbd>1</kbd> yes</button><button data-answer="0"><kbd>0</kbd> no</button>
  </div>
  <div id="pair-buttons">
    <button data-answer="a"><kbd>a</kbd> A is better</button><button data-answer="b"><kbd>b</kbd> B is better</button>
  </div>
  <p><button data-answer="s"><kbd>s</kbd> skip</button><button data-answer="u"><kbd>u</kbd> undo</button></p>
</section>
<p id="message" role="alert"></p>
<h2>Queue</h2>
<ol id="queue"></ol>
<p><button id="finish">Finish labelling</button></p>
<script>
(() => {
  const TOKEN = ${JSON.stringify(token)};
  const $ = (id) => document.getElementById(id);
  let state = null;
  let busy = false;
  let version = 0;
  let chain = Promise.resolve();

  async function api(path, body) {
    const res = await fetch(path + '?token=' + encodeURIComponent(TOKEN), body === undefined
      ? { cache: 'no-store' }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const data = await res.json();
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  function current() {
    return state ? state.items.find((i) => i.answer === null) : undefined;
  }

  function show(text) { $('message').textContent = text || ''; }

  function render() {
    if (!state) return;
    $('progress').max = Math.max(1, state.total);
    $('progress').value = state.done;
    $('count').textContent = state.done + ' / ' + state.total;
    const item = current();
    $('current').hidden = !item;
    if (state.finished) $('status').textContent = 'Finished. You can close this page.';
    else if (item) $('status').textContent = 'Labelling as ' + state.labeller + '.';
    else if (state.total) $('status').textContent = 'All items in this batch are answered. Waiting for the next batch…';
    else $('status').textContent = 'Waiting for items…';
    if (item) {
      $('prompt').textContent = item.prompt;
      const pair = item.type === 'pair';
      $('single').hidden = pair; $('single-buttons').hidden = pair;
      $('pair').hidden = !pair; $('pair-buttons').hidden = !pair;
      if (pair) { $('a').textContent = item.a; $('b').textContent = item.b; }
      else $('completion').textContent = item.completion;
      $('question').textContent = pair ? state.pairQuestion : state.question;
      $('current').dataset.id = item.id;
    }
    const q = $('queue');
    q.replaceChildren(...state.items.map((i) => {
      const li = document.createElement('li');
      li.dataset.id = i.id;
      li.dataset.answer = i.answer === null ? '' : String(i.answer);
      if (item && i.id === item.id) li.className = 'active';
      const a = document.createElement('span');
      a.className = 'answer';
      a.textContent = i.answer === null ? '·' : String(i.answer);
      const s = document.createElement('span');
      s.className = 'snippet';
      s.textContent = i.type === 'pair' ? i.prompt + ' — A: ' + i.a + ' | B: ' + i.b : i.prompt + ' ⟶ ' + i.completion;
      li.append(a, s);
      return li;
    }));
  }

  async function refresh() {
    const v = version;
    try {
      const s = await api('/api/state');
      if (v === version && !busy) { state = s; render(); }
    } catch (e) { show(e.message); }
  }

  async function act(key) {
    if (!state) return;
    const item = current();
    let path = '/api/label', body;
    if (key === 'u') { path = '/api/undo'; body = {}; }
    else if (!item) return;
    else if (key === 's') body = { id: item.id, skip: true };
    else if (item.type === 'pointwise' && (key === '0' || key === '1')) body = { id: item.id, label: Number(key) };
    else if (item.type === 'pair' && (key === 'a' || key === 'b')) body = { id: item.id, choice: key };
    else return;
    busy = true;
    try { state = await api(path, body); version += 1; show(''); render(); }
    catch (e) { show(e.message); }
    finally { busy = false; }
  }
  // keys pressed quickly are answered in order, each against the state the previous one left
  const enqueue = (k) => { chain = chain.then(() => act(k)); };

  document.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (['0', '1', 'a', 'b', 's', 'u'].includes(k)) { e.preventDefault(); enqueue(k); }
  });
  document.querySelectorAll('button[data-answer]').forEach((b) => b.addEventListener('click', () => enqueue(b.dataset.answer)));
  $('finish').addEventListener('click', async () => {
    try { state = await api('/api/finish', {}); render(); } catch (e) { show(e.message); }
  });
  refresh();
  setInterval(() => { if (!busy) refresh(); }, 1000);
})();
</script>
</body>
</html>
`;
}
