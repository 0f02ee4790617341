// The page over pal serve's HTTP API. Every number shown comes from the server: this script only
// asks, lays out and draws (the projection of users to the plane, rewards and preference
// probabilities are computed by the server's library code).
'use strict';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
const color = (k) => COLORS[k % COLORS.length];
const $ = (id) => document.getElementById(id);
const SVGNS = 'http://www.w3.org/2000/svg';

const state = { token: null, model: null, debounceMs: 150, prototypes: null, usersLoaded: false };

// ---- HTTP

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ('HTTP ' + status));
    this.status = status;
    this.field = body && body.error ? body.error.field : null;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const j = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, j);
  return j;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

const fmt = (x, d = 4) => (x === null || x === undefined) ? '—' : Number(x).toFixed(d);

// ---- start: the token (only when /health says the server needs one), then the model

async function start() {
  const health = await fetch('/health').then((r) => r.json());
  if (health.auth) {
    await askToken();
  }
  state.model = await api('GET', '/v1/model');
  // no request faster than the server's micro-batching window (and not per keystroke either)
  state.debounceMs = Math.max(150, Math.ceil(state.model.server.batchWindowMicros / 1000));
  renderModel();
  setupTabs();
  setupTry();
  setupIdeal();
  loadPrototypes();
  document.body.dataset.ready = 'true';
}

function askToken() {
  return new Promise((resolve) => {
    const form = $('token-form');
    form.hidden = false;
    $('token-input').focus();
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      state.token = $('token-input').value.trim();
      try {
        await api('GET', '/v1/model');
        $('token-input').value = '';
        form.hidden = true;
        resolve();
      } catch (e) {
        state.token = null;
        $('token-error').textContent = e.status === 401 ? 'That token was refused.' : e.message;
      }
    });
  });
}

function setupTabs() {
  $('user-search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => loadUsers($('user-search').value.trim()), 250);
  });
  for (const b of document.querySelectorAll('#tabs button')) {
    b.addEventListener('click', () => show(b.dataset.view));
  }
}

function show(view) {
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.view === view);
  for (const s of document.querySelectorAll('.view')) s.hidden = s.id !== 'view-' + view;
  if (view === 'users' && !state.usersLoaded) loadUsers('');
}

// ---- Model

function renderModel() {
  const m = state.model;
  $('model-title').textContent = m.type + ', K = ' + m.k;
  const rows = [
    ['type', m.type], ['K (prototypes)', m.k], ['encoder', m.encoder + (m.encoderFingerprint ? ' (fingerprint ' + m.encoderFingerprint + ')' : '')],
    ['item / prompt dimension', m.itemDim + ' / ' + (m.prompts ? m.promptDim : 'no prompts')],
    ['users', m.users + ' (' + m.modelUsers + ' from training, ' + m.enrolledUsers + ' enrolled here)'],
  ];
  const p = m.provenance;
  if (p) {
    rows.push(['trained', (p.createdAt || '—') + ', seed ' + p.seed + ', PAL ' + p.version]);
    if (p.dataHash) rows.push(['data hash', p.dataHash]);
    const t = p.extra && p.extra.train;
    if (t) rows.push(['training', t.epochsRun + ' epochs (best ' + t.bestEpoch + ', validation accuracy ' + fmt(t.bestValidationAccuracy, 3) + '), '
      + fmt(t.trainSeconds, 1) + ' s']);
  } else {
    rows.push(['provenance', 'not recorded']);
  }
  const d = m.dataset;
  rows.push(['dataset', m.datasetOverride ? m.datasetOverride + ' (--dataset)' : d ? (d.directory || JSON.stringify(d.spec) + (d.seed !== undefined ? ', seed ' + d.seed : '')) : 'not recorded']);
  rows.push(['zero-shot weights', m.zeroShotWeights.map((x) => fmt(x, 3)).join(', ')]);
  rows.push(['server', 'micro-batching window ' + m.server.batchWindowMicros + ' µs; ' + (m.server.tokenRequired ? 'bearer token required' : 'loopback, no token')]);
  const t = $('model-facts');
  t.replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('td', { text: k }), el('td', { text: String(v) }))));
}

async function loadPrototypes() {
  const box = $('prototypes');
  $('proto-note').textContent = 'Ranking the training responses…';
  try {
    const r = await api('GET', '/v1/prototypes?n=5');
    state.prototypes = r;
    $('proto-note').textContent = 'Ranked ' + r.ranked + ' distinct training responses from ' + r.file
      + (r.capped ? ' (the first ' + r.cap + ' distinct ones; the file has more)' : '') + '.';
    box.replaceChildren(...r.prototypes.map((p) => {
      const card = el('div', { class: 'card', 'data-prototype': p.index });
      card.style.borderLeftColor = color(p.index);
      card.append(el('h4', { text: 'Prototype ' + p.index }));
      card.append(el('div', { class: 'note', text: 'rewards most' }), entryList(p.highest, 'highest'));
      card.append(el('div', { class: 'note', text: 'rewards least' }), entryList(p.lowest, 'lowest'));
      return card;
    }));
    fillIdealDefaults();
  } catch (e) {
    $('proto-note').textContent = 'Not available: ' + e.message;
    $('proto-note').classList.add('error');
    fillIdealDefaults();
  }
}

function entryList(entries, cls) {
  return el('ol', { class: cls }, ...entries.map((e) => el('li', {},
    e.thumbnail ? el('img', { class: 'thumb', src: e.thumbnail, alt: e.response, title: e.response }) : '',
    el('span', { class: 'response', text: e.response }), ' ', el('span', { class: 'reward', text: fmt(e.reward, 3) }),
    e.prompt ? el('div', { class: 'prompt', text: 'to: ' + e.prompt }) : '')));
}

// ---- Users

let searchTimer = null;

async function loadUsers(q) {
  state.usersLoaded = true;
  const t0 = performance.now();
  const r = await api('GET', '/v1/users?limit=2000&bins=40' + (q ? '&q=' + encodeURIComponent(q) : ''));
  drawMap($('user-map'), r, { onClick: selectUser });
  $('users-count').textContent = q ? r.matched + ' of ' + r.total + ' users match' : r.total + ' users';
  const where = r.projection === 'ternary' ? 'the simplex (ternary plot; a corner is a prototype)'
    : r.projection === 'segment' ? 'the simplex, a segment for K = 2 (left: prototype 0, right: prototype 1)'
    : r.projection === 'pca' ? 'the two leading principal directions of the weights (explaining ' + fmt(100 * r.explained[0], 0) + '% and '
      + fmt(100 * r.explained[1], 0) + '% of their variance; prototypes projected as squares)' : 'one point (K = 1)';
  $('users-note').textContent = (r.sampled ? 'Sampled: ' + r.sampling + '. ' : 'Every user is drawn (' + r.shown + '). ')
    + 'Position: ' + where + '; colour: dominant prototype.';
  $('users-note').dataset.sampled = String(r.sampled);
  $('users-legend').replaceChildren(...r.vertices.map((_, k) => {
    const s = el('span', {}, el('span', { class: 'swatch' }), 'prototype ' + k);
    s.firstChild.style.background = color(k);
    return s;
  }));
  requestAnimationFrame(() => {
    const ms = performance.now() - t0;
    $('users-timing').textContent = 'Fetched and drawn in ' + Math.round(ms) + ' ms.';
    $('user-map').dataset.renderMs = String(ms);
    $('user-map').dataset.points = String(r.shown);
  });
}

/** Draws users (and bins, and the prototypes' vertices) in data coordinates given by the server. */
function drawMap(svg, r, opts) {
  const W = +svg.getAttribute('width'), H = +svg.getAttribute('height'), pad = 24;
  let xs = r.vertices.map((v) => v[0]).concat(r.users.map((u) => u.x));
  let ys = r.vertices.map((v) => v[1]).concat(r.users.map((u) => u.y));
  if (r.bins) { xs.push(r.bins.minX, r.bins.maxX); ys.push(r.bins.minY, r.bins.maxY); }
  if (opts.extra) for (const p of opts.extra) { xs.push(p.x); ys.push(p.y); }
  let x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (x1 - x0 < 1e-9) { x0 -= 0.5; x1 += 0.5; }
  if (y1 - y0 < 1e-9) { y0 -= 0.5; y1 += 0.5; }
  const s = Math.min((W - 2 * pad) / (x1 - x0), (H - 2 * pad) / (y1 - y0));
  const ox = (W - s * (x1 - x0)) / 2, oy = (H - s * (y1 - y0)) / 2;
  const X = (x) => ox + (x - x0) * s, Y = (y) => H - oy - (y - y0) * s;
  const frag = document.createDocumentFragment();
  if (r.projection === 'ternary' || r.projection === 'segment') {
    frag.append(svgEl('polygon', { points: r.vertices.map((v) => X(v[0]) + ',' + Y(v[1])).join(' '), fill: 'none', stroke: '#999' }));
  }
  if (r.bins) {
    const b = r.bins, n = b.size, bw = (b.maxX - b.minX) / n, bh = (b.maxY - b.minY) / n;
    const max = Math.max(...b.counts);
    const g = svgEl('g', { class: 'bins' });
    for (let cy = 0; cy < n; cy++) for (let cx = 0; cx < n; cx++) {
      const c = b.counts[cy * n + cx];
      if (!c) continue;
      const rect = svgEl('rect', { x: X(b.minX + cx * bw), y: Y(b.minY + (cy + 1) * bh), width: Math.max(1, bw * s), height: Math.max(1, bh * s),
        fill: color(b.dominant[cy * n + cx]), 'fill-opacity': (0.08 + 0.5 * c / max).toFixed(3) });
      rect.append(svgEl('title'));
      rect.lastChild.textContent = c + ' users';
      g.append(rect);
    }
    frag.append(g);
  }
  r.vertices.forEach((v, k) => {
    frag.append(svgEl('rect', { x: X(v[0]) - 5, y: Y(v[1]) - 5, width: 10, height: 10, fill: color(k), class: 'vertex' }));
    const t = svgEl('text', { x: X(v[0]) + 8, y: Y(v[1]) - 6, 'font-size': 11 });
    t.textContent = 'P' + k;
    frag.append(t);
  });
  const g = svgEl('g', { class: 'points' });
  for (const u of r.users) {
    const c = svgEl('circle', { cx: X(u.x).toFixed(1), cy: Y(u.y).toFixed(1), r: r.users.length > 500 ? 2.5 : 4, fill: color(u.dominant), class: 'pt', 'data-id': u.id });
    if (opts.onClick) c.addEventListener('click', () => opts.onClick(u, c));
    g.append(c);
  }
  frag.append(g);
  if (opts.extra) {
    opts.extra.forEach((p, i) => {
      const last = i === opts.extra.length - 1;
      frag.append(svgEl('circle', { cx: X(p.x), cy: Y(p.y), r: last ? 7 : 3, fill: last ? '#000' : '#888', class: last ? 'me' : 'trail' }));
    });
  }
  svg.replaceChildren(frag);
}

async function selectUser(u, circle) {
  for (const c of document.querySelectorAll('#user-map .pt.selected')) c.classList.remove('selected');
  circle.classList.add('selected');
  const d = await api('GET', '/v1/users/' + encodeURIComponent(u.id));
  const box = $('user-detail');
  box.replaceChildren(el('h3', { text: d.user }),
    el('p', { class: 'note', text: d.source === 'model' ? 'a user the model was trained on' : 'enrolled on this server' }),
    el('table', { class: 'results', id: 'user-weights' }, ...d.weights.map((w, k) => el('tr', {},
      el('td', { text: 'prototype ' + k }), el('td', { class: 'num', text: fmt(w, 4) }),
      el('td', {}, bar(w, color(k)))))),
    el('p', { id: 'user-comparisons', text: 'comparisons here: ' + d.comparisons }),
    el('p', { id: 'user-uncertainty', text: 'uncertainty (total weight std): ' + (d.uncertainty ? fmt(d.uncertainty.total, 4) : 'not known (fitted in training)') }),
    el('p', { id: 'user-accuracy', text: 'held-out accuracy: …' }));
  const h = await api('GET', '/v1/users/' + encodeURIComponent(u.id) + '/held-out');
  $('user-accuracy').textContent = 'held-out accuracy: ' + (h.accuracy === null ? 'not known (' + h.reason + ')' : fmt(h.accuracy, 3) + ' on ' + h.pairs + ' test pairs');
}

function bar(w, c) {
  const s = svgEl('svg', { width: 120, height: 10 });
  s.style.border = 'none';
  s.append(svgEl('rect', { x: 0, y: 0, width: (120 * w).toFixed(1), height: 10, fill: c }));
  return s;
}

// ---- Try it

const tryState = { weights: null, timer: null, inFlight: false, again: false, sent: [] };

function setupTry() {
  const m = state.model;
  tryState.weights = m.zeroShotWeights.slice();
  const box = $('try-sliders');
  box.replaceChildren(el('p', { class: 'note', text: 'Sliders stay on the simplex: moving one rescales the others. Start: the zero-shot point.' }));
  for (let k = 0; k < m.k; k++) {
    const s = el('input', { type: 'range', min: 0, max: 1000, id: 'try-w' + k });
    const v = el('span', { id: 'try-wv' + k, class: 'reward' });
    s.addEventListener('input', () => { moveSlider(k, s.value / 1000); $('try-who-weights').checked = true; scheduleTry(); });
    box.append(el('div', { class: 'slider' }, el('label', { text: 'prototype ' + k }), s, ' ', v));
  }
  showSliders();
  $('try-prompt-row').hidden = !m.prompts;
  $('try-prompt').value = '';
  $('try-responses').value = '';
  for (const id of ['try-prompt', 'try-responses', 'try-user']) $(id).addEventListener('input', scheduleTry);
  $('try-user').addEventListener('input', () => { $('try-who-user').checked = true; });
  for (const id of ['try-who-weights', 'try-who-user']) $(id).addEventListener('change', scheduleTry);
  $('try-note').textContent = 'Updates as you edit, at most once every ' + state.debounceMs + ' ms (the server batches requests within '
    + m.server.batchWindowMicros + ' µs).';
}

function moveSlider(k, v) {
  const w = tryState.weights, rest = w.reduce((a, b, j) => a + (j === k ? 0 : b), 0);
  for (let j = 0; j < w.length; j++) {
    if (j === k) w[j] = v;
    else w[j] = rest > 1e-12 ? w[j] * (1 - v) / rest : (1 - v) / (w.length - 1);
  }
  showSliders();
}

function showSliders() {
  tryState.weights.forEach((w, k) => { $('try-w' + k).value = Math.round(w * 1000); $('try-wv' + k).textContent = w.toFixed(3); });
}

function scheduleTry() {
  clearTimeout(tryState.timer);
  tryState.timer = setTimeout(runTry, state.debounceMs);
}

async function runTry() {
  if (tryState.inFlight) { tryState.again = true; return; }
  const responses = $('try-responses').value.split('\n').map((s) => s.trim()).filter((s) => s);
  if (!responses.length) { $('try-results').replaceChildren(); $('try-prefs').replaceChildren(); return; }
  const who = $('try-who-user').checked ? { user: $('try-user').value.trim() } : { weights: normalised(tryState.weights) };
  const base = Object.assign({}, who);
  if (state.model.prompts) base.prompt = $('try-prompt').value;
  const requests = [Object.assign({ responses }, base)];
  const pairs = [];
  if (responses.length >= 2 && responses.length <= 6) {
    for (let i = 0; i < responses.length; i++) for (let j = i + 1; j < responses.length; j++) {
      pairs.push([i, j]);
      requests.push(Object.assign({ responses: [responses[i], responses[j]] }, base));
    }
  }
  tryState.inFlight = true;
  tryState.sent.push(performance.now()); // when each request left: the spacing the test checks
  try {
    const r = await api('POST', '/v1/rewards', { requests });
    const res = r.results[0];
    $('try-results').replaceChildren(el('tr', {}, el('th', { text: 'response' }), el('th', { text: 'reward' })),
      ...responses.map((t, i) => el('tr', {}, el('td', { text: t }), el('td', { class: 'num reward-value', text: String(res.rewards[i]) }))));
    $('try-results').dataset.weights = JSON.stringify(res.weights);
    if (pairs.length) {
      const head = el('tr', {}, el('th', { text: 'P(row preferred to column)' }), ...responses.map((_, j) => el('th', { text: '#' + (j + 1) })));
      const cell = {};
      pairs.forEach(([i, j], n) => { const p = r.results[n + 1].preference; cell[i + ',' + j] = p; cell[j + ',' + i] = 1 - p; });
      $('try-prefs').replaceChildren(head, ...responses.map((_, i) => el('tr', {}, el('th', { text: '#' + (i + 1) }),
        ...responses.map((_, j) => el('td', { class: 'num', text: i === j ? '' : fmt(cell[i + ',' + j], 3) })))));
    } else {
      $('try-prefs').replaceChildren();
    }
    $('try-note').classList.remove('error');
    $('try-note').textContent = 'Rewards from POST /v1/rewards (weights ' + res.weights.map((x) => fmt(x, 3)).join(', ') + ').';
  } catch (e) {
    $('try-note').classList.add('error');
    $('try-note').textContent = (e.field ? e.field + ': ' : '') + e.message;
  } finally {
    tryState.inFlight = false;
    if (tryState.again) { tryState.again = false; scheduleTry(); }
  }
}

function normalised(w) {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

// ---- Find your ideal point

const ideal = { answers: 0, pair: null, trail: [] };

function setupIdeal() {
  $('ideal-id').value = 'me-' + Math.random().toString(36).slice(2, 10);
  $('ideal-prompt-row').hidden = !state.model.prompts;
  $('ideal-start').addEventListener('click', () => ask());
  $('ideal-a').addEventListener('click', () => answer(0));
  $('ideal-b').addEventListener('click', () => answer(1));
  $('ideal-forget').addEventListener('click', forget);
}

/** Candidates from what the prototypes like most and least (the most telling contrasts), with their prompt. */
function fillIdealDefaults() {
  const p = state.prototypes;
  if (!p) return;
  const seen = new Set();
  let prompt = null;
  for (const proto of p.prototypes) for (const e of proto.highest.slice(0, 3).concat(proto.lowest.slice(0, 3))) {
    if (e.response.startsWith('image:') || e.response.startsWith('npy:')) continue;
    seen.add(e.response);
    if (prompt === null) prompt = e.prompt;
  }
  if (!$('ideal-candidates').value) $('ideal-candidates').value = [...seen].join('\n');
  if (prompt && !$('ideal-prompt').value) $('ideal-prompt').value = prompt;
  if (!$('try-responses').value && seen.size) { $('try-responses').value = [...seen].slice(0, 3).join('\n'); if (prompt) $('try-prompt').value = prompt; }
}

function idealInputs() {
  const candidates = $('ideal-candidates').value.split('\n').map((s) => s.trim()).filter((s) => s);
  const b = { candidates };
  if (state.model.prompts) b.prompt = $('ideal-prompt').value;
  return b;
}

async function ask() {
  const id = $('ideal-id').value.trim();
  try {
    const b = idealInputs();
    const q = await api('POST', '/v1/users/' + encodeURIComponent(id) + '/next-query', b);
    ideal.pair = [b.candidates[q.pair[0]], b.candidates[q.pair[1]]];
    ideal.prompt = b.prompt;
    $('ideal-a').textContent = ideal.pair[0];
    $('ideal-b').textContent = ideal.pair[1];
    $('ideal-question').hidden = false;
    $('ideal-status').classList.remove('error');
    $('ideal-status').textContent = 'Question ' + (ideal.answers + 1) + ' (chosen by the server as the most informative pair, probability '
      + fmt(q.probability, 2) + ' for the left one).';
  } catch (e) {
    $('ideal-status').classList.add('error');
    $('ideal-status').textContent = (e.field ? e.field + ': ' : '') + e.message;
  }
}

async function answer(which) {
  const id = $('ideal-id').value.trim();
  const c = { chosen: ideal.pair[which], rejected: ideal.pair[1 - which] };
  if (state.model.prompts) c.prompt = ideal.prompt;
  $('ideal-question').hidden = true;
  try {
    const u = await api('POST', '/v1/users/' + encodeURIComponent(id) + '/comparisons', { comparisons: [c] });
    ideal.answers = u.comparisons;
    $('ideal-weights').textContent = 'Your weights after ' + u.comparisons + ' answers: ' + u.weights.map((x) => fmt(x, 3)).join(', ')
      + ' (uncertainty ' + fmt(u.uncertainty.total, 3) + ')';
    $('ideal-weights').dataset.weights = JSON.stringify(u.weights);
    await drawMe(id);
    if (ideal.answers >= 3) await rankForMe(id);
    await ask();
  } catch (e) {
    $('ideal-status').classList.add('error');
    $('ideal-status').textContent = (e.field ? e.field + ': ' : '') + e.message;
  }
}

/** My point, placed by the server's map (the same projection as the Users view), over the others. */
async function drawMe(id) {
  const r = await api('GET', '/v1/users?limit=500&bins=20');
  const mine = await api('GET', '/v1/users?limit=20&bins=1&q=' + encodeURIComponent(id));
  const me = mine.users.find((u) => u.id === id);
  if (me) ideal.trail.push({ x: me.x, y: me.y });
  r.users = r.users.filter((u) => u.id !== id);
  drawMap($('ideal-map'), r, { extra: ideal.trail });
}

async function rankForMe(id) {
  const b = idealInputs();
  const req = { user: id, responses: b.candidates };
  if (state.model.prompts) req.prompt = b.prompt;
  const r = await api('POST', '/v1/rewards', req);
  const order = b.candidates.map((t, i) => [t, r.rewards[i]]).sort((a, z) => z[1] - a[1]);
  $('ideal-ranking').replaceChildren(el('p', { class: 'note', text: 'What the model now ranks highest for you:' }),
    ...order.map(([t, x]) => el('li', {}, el('span', { class: 'response', text: t }), ' ', el('span', { class: 'reward', text: fmt(x, 3) }))));
}

async function forget() {
  const id = $('ideal-id').value.trim();
  try {
    await api('DELETE', '/v1/users/' + encodeURIComponent(id));
    $('ideal-status').classList.remove('error');
    $('ideal-status').textContent = 'Forgotten: ' + id + ' and their answers were deleted from the server.';
  } catch (e) {
    $('ideal-status').classList.add('error');
    $('ideal-status').textContent = (e.field ? e.field + ': ' : '') + e.message;
  }
  ideal.answers = 0;
  ideal.trail = [];
  $('ideal-question').hidden = true;
  $('ideal-weights').textContent = '';
  $('ideal-ranking').replaceChildren();
  $('ideal-map').replaceChildren();
  $('ideal-id').value = 'me-' + Math.random().toString(36).slice(2, 10);
}

start().catch((e) => {
  const p = el('p', { class: 'error', id: 'fatal', text: 'The page could not start: ' + e.message });
  document.querySelector('main').prepend(p);
});
