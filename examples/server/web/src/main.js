// The studio page of examples/server: upload an image, choose the settings, follow the
// generation over server-sent events (polling when the stream breaks), turn the model around,
// read the report, download every format, reopen recent jobs. Plain DOM code; three.js does
// the 3D (viewer.js). Every request goes to the server that served the page.
import './style.css';
import { Viewer } from './viewer.js';

const $ = (id) => document.getElementById(id);
const FORMATS = ['stl', 'obj', 'glb', 'ply', '3mf'];
const TERMINAL = new Set(['completed', 'failed', 'canceled']);
const HISTORY_KEY = 'orfeas.studio.history';

const state = {
  job: null,        // the current job's id
  image: null,      // its image_info
  status: null,     // its latest job-status
  following: null,  // {close()} of the event stream or poller in use
  busy: false,
  sizes: null,      // the size readout of the model on screen
};
let viewer = null;

// ---- messages -------------------------------------------------------------------------------

function say(text, kind = '') {
  const m = $('message');
  m.textContent = text;
  m.className = kind;
}

// reason turns a failed response into words: the server's own reason, with what 409, 413, 429,
// 502–504 and 507 mean for the person at the page.
function reason(res) {
  const d = res.data || {};
  let why = d.error || `the server answered ${res.status} ${res.statusText || ''}`.trim();
  if (Array.isArray(d.details) && d.details.length) why += ': ' + d.details.join('; ');
  switch (res.status) {
    case 409:
      return 'This image is already being generated (a double click, or another tab): following that generation.';
    case 413:
      if (/decod/.test(why)) return `This image is too large for the server to open (${why}). Try a smaller image.`;
      return `Too large for this server: ${why}.`;
    case 429: {
      const after = res.headers.get('Retry-After');
      return `The server is busy (${why}). Please wait ${after ? after + ' s' : 'a moment'} and try again.`;
    }
    case 502:
      return `The image service behind the server failed (${why}). Try again, or upload an image instead.`;
    case 504:
      return `The image service behind the server did not answer in time (${why}). Try again, or upload an image instead.`;
    case 503:
      if (/deadline/.test(why)) return `The server stopped this request: it took longer than the server's time limit (${why}). Try a lower quality or a smaller file.`;
      if (/not writable/.test(why)) return `The server cannot store anything right now: its disk is read-only (${why}).`;
      return `The server is not taking work right now (${why}). Try again shortly.`;
    case 507:
      // The server's own words say the same; repeat them only when they add something.
      return 'The server\'s disk is full: nothing can be stored until space is freed.' + (/full/.test(why) ? ' Try again later.' : ` (${why})`);
  }
  return sentence(why);
}

function sentence(s) { return s.charAt(0).toUpperCase() + s.slice(1) + (s.endsWith('.') ? '' : '.'); }

async function api(method, url, body) {
  const init = { method, headers: {} };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    return { ok: false, status: 0, data: { error: 'the server did not answer (is it running?)' }, headers: new Headers() };
  }
  let data = null;
  if ((r.headers.get('Content-Type') || '').includes('json')) data = await r.json().catch(() => null);
  return { ok: r.ok, status: r.status, statusText: r.statusText, data, headers: r.headers };
}

// ---- server --------------------------------------------------------------------------------

async function checkServer() {
  const h = await api('GET', '/api/health');
  if (!h.ok) { $('server').textContent = 'server: ' + reason(h); return; }
  const d = h.data;
  $('server').textContent = `server ${d.version} · ${d.backend} backend · ${d.active_jobs} running, ${d.queued_jobs} queued` +
    (d.status === 'degraded' ? ` · cannot store anything: ${d.reason}` : '') +
    (d.remote && !d.remote.reachable ? ` · its 3D service does not answer` : '');
  // Text to image is offered only where the server says a provider is configured.
  const t = d.text_to_image === true;
  $('prompt-form').hidden = !t;
}

// ---- the image -----------------------------------------------------------------------------

async function upload(file) {
  if (!file || state.busy) return;
  setBusy(true);
  say(`Uploading ${file.name || 'the image'}…`);
  const fd = new FormData();
  fd.append('image', file, file.name || 'pasted.png');
  const res = await api('POST', '/api/upload-image', fd);
  setBusy(false);
  if (!res.ok) { say(reason(res), 'error'); return; }
  const d = res.data;
  openJob(d.job_id, d.image_info, d.preview_url, d.filename);
  remember({ job_id: d.job_id, filename: d.filename, when: Date.now() });
  say('Image checked. Choose the settings and press Generate.', 'ok');
}

function openJob(id, info, previewURL, filename) {
  stopFollowing();
  state.job = id;
  state.image = info;
  state.status = null;
  $('preview').hidden = false;
  $('preview-img').src = previewURL;
  $('preview-img').alt = filename ? `the uploaded image ${filename}` : 'the uploaded image';
  if (info) {
    const [w, h] = info.size;
    $('image-info').textContent = `${filename ? filename + ' · ' : ''}${w} × ${h} px · ${info.format} · ${info.mode} · ` +
      `${info.has_transparency ? 'transparent background' : 'no transparency'} · ${kb(info.file_size)}`;
    lockAspect('width');
  }
  setProgress(0, 'idle');
  $('report').innerHTML = '<p class="muted">No model yet.</p>';
  $('downloads').innerHTML = '<p class="muted">Nothing to download yet.</p>';
  $('dims').textContent = '';
  $('generate').disabled = false;
}

function kb(n) { return n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MB' : Math.max(1, Math.round(n / 1024)) + ' kB'; }

function aspect() { return state.image ? state.image.size[0] / state.image.size[1] : null; }

// lockAspect keeps width / height equal to the image's aspect ratio, from the field changed.
function lockAspect(from) {
  const a = aspect();
  if (!$('lock').checked || !a) return;
  const w = parseFloat($('width').value), h = parseFloat($('height').value);
  if (from === 'width' && w > 0) $('height').value = round1(w / a);
  if (from === 'height' && h > 0) $('width').value = round1(h * a);
}

function round1(x) { return Math.round(x * 10) / 10; }

// ---- generation ----------------------------------------------------------------------------

function params(format) {
  const num = (id) => { const v = parseFloat($(id).value); return v > 0 ? v : undefined; };
  const dims = { width: num('width'), depth: num('depth') };
  // With the aspect locked the server derives the height itself, exactly.
  if (!$('lock').checked || !dims.width) dims.height = num('height');
  return { job_id: state.job, format, quality: $('quality').value, mode: $('mode').value, dimensions: dims };
}

async function generate(format) {
  if (!state.job) return;
  setBusy(true);
  const res = await api('POST', '/api/generate-3d', params(format));
  if (res.status === 409) {
    say(reason(res));
  } else if (!res.ok) {
    setBusy(false);
    say(reason(res), 'error');
    return null;
  } else {
    say(`Generating ${format.toUpperCase()}…`);
  }
  $('cancel').disabled = false;
  const st = await follow(state.job, format.toUpperCase());
  $('cancel').disabled = true;
  setBusy(false);
  return st;
}

// follow resolves with the job's terminal status, from its event stream, or by polling when the
// stream breaks or the browser has no EventSource.
function follow(id, label) {
  stopFollowing();
  return new Promise((resolve) => {
    let done = false;
    const finish = (st) => {
      if (done) return;
      done = true;
      stopFollowing();
      resolve(st);
    };
    const update = (st) => {
      if (st.job_id !== id) return;
      state.status = st;
      setProgress(st.progress, `${label}: ${st.stage || st.status}`);
      if (TERMINAL.has(st.status)) finish(st);
    };
    const poll = () => {
      let timer = null, stopped = false;
      const tick = async () => {
        const r = await api('GET', `/api/job-status/${id}`);
        if (stopped) return;
        if (r.ok) update(r.data);
        else if (r.status === 404) { say(reason(r), 'error'); finish(null); return; }
        if (!done) timer = setTimeout(tick, 500);
      };
      state.following = { close() { stopped = true; clearTimeout(timer); } };
      tick();
    };
    if (!window.EventSource || window.__studioNoSSE) { poll(); return; }
    const es = new EventSource(`/api/job-events/${id}`);
    state.following = es;
    const onEvent = (ev) => { try { update(JSON.parse(ev.data)); } catch { /* a malformed event: the next one will do */ } };
    es.addEventListener('state', onEvent);
    es.addEventListener('progress', onEvent);
    es.onerror = () => {
      if (done) return;
      es.close();
      poll(); // the stream broke before the end: keep following by polling
    };
  });
}

function stopFollowing() {
  if (state.following) { state.following.close(); state.following = null; }
}

async function run() {
  const chosen = $('format').value;
  $('report').innerHTML = '<p class="muted">Generating…</p>';
  // The preview needs the GLB; the chosen format follows when it is another.
  let st = await generate('glb');
  if (!st) return;
  if (!(await settle(st))) return;
  if (chosen !== 'glb') {
    st = await generate(chosen);
    if (!st || !(await settle(st))) return;
  }
  say(`Done: ${chosen.toUpperCase()} ready to download.`, 'ok');
}

// settle shows a terminal status: the model and its report when completed, the reason when not.
async function settle(st) {
  if (st.status === 'canceled' || st.status === 'failed') {
    if (st.status === 'canceled') say('Canceled: no model was made.');
    else if (/deadline/.test(st.error || '')) say(`The generation took longer than the server's time limit (${st.error}). Try a lower quality.`, 'error');
    else say(`The generation failed: ${st.error || 'no reason given'}.`, 'error');
    setProgress(0, st.status);
    if (!st.downloads) $('report').innerHTML = `<p class="muted">No model: the generation ${st.status === 'canceled' ? 'was canceled' : 'failed'}.</p>`;
    else renderDownloads(st);
    return false;
  }
  setProgress(100, 'done');
  remember({ job_id: st.job_id, filename: st.filename, when: Date.now(), status: st.status, mode: st.report && st.report.mode, picture: st.model_preview_url });
  await showResult(st);
  return true;
}

async function showResult(st) {
  renderDownloads(st);
  let analysis = null;
  // The server's picture of the model stands in the viewer until the GLB is shown (or instead
  // of it, for a job without one).
  const glb = st.downloads && st.downloads.glb;
  if (st.model_preview_url && (!state.sizes || !glb)) {
    $('viewer-empty').replaceChildren(el('img', { src: st.model_preview_url, alt: 'the server\'s picture of the model', class: 'model-picture' }));
    $('viewer-empty').hidden = false;
  }
  if (glb) {
    const r = await fetch(glb);
    if (!r.ok) { say(`The preview model could not be fetched (${r.status}).`, 'error'); return; }
    const buf = await r.arrayBuffer();
    try {
      viewer = viewer || new Viewer($('viewer'));
      $('viewer-empty').hidden = true;
      state.sizes = await viewer.load(buf);
      $('dims').textContent = `Model: ${mm3(state.sizes)} (W × D × H)`;
      $('reset').disabled = false;
    } catch (e) {
      say(`The preview could not be shown: ${e.message}`, 'error');
    }
    // The print analysis of the same model (overhangs, build volume, mass).
    const fd = new FormData();
    fd.append('file', new Blob([buf], { type: 'model/gltf-binary' }), 'model.glb');
    const a = await api('POST', '/api/stl/analyze', fd);
    if (a.ok) analysis = a.data.print_analysis;
  }
  renderReport(st.report, analysis);
}

function mm3(s) { return s.map((v) => v.toFixed(1)).join(' × ') + ' mm'; }

function setBusy(b) {
  state.busy = b;
  $('generate').disabled = b || !state.job;
}

function setProgress(p, label) {
  $('progress').value = p;
  $('progress').setAttribute('aria-valuetext', `${p}% ${label}`);
  $('stage').textContent = `${p}% · ${label}`;
}

async function cancel() {
  if (!state.job) return;
  $('cancel').disabled = true;
  const r = await api('DELETE', `/api/jobs/${state.job}`);
  if (!r.ok) say(reason(r), 'error');
  else if (!r.data.canceled) say('Nothing to cancel: the generation had already ended.');
}

// ---- the report ----------------------------------------------------------------------------

const KNOWN = new Set(['mode', 'mode_reason', 'backend', 'backend_fallback', 'quality', 'size_mm', 'volume_mm3', 'faces',
  'vertices', 'topology', 'warnings', 'fidelity', 'max_error_mm', 'total_ns', 'timings', 'bounds', 'image', 'face_budget',
  'tolerance_mm', 'simplify', 'over_budget', 'pieces', 'quality_note']);

const pct = (v) => `${Math.round(v * 100)} %`;
// FIDELITY says the self-check's figures in words: [label, text(value, all figures)]. Figures
// that say nothing on their own (blank, which a warning reports) are left to the JSON below.
const FIDELITY = {
  silhouette_iou: ['Outline', (v) => `matches the image's subject ${pct(v)} (IoU ${v.toFixed(2)})`],
  height_correlation: ['Surface', (v, f) => `follows the image's ${f.height_source || 'heights'} (rank correlation ${v.toFixed(2)}; 1 is exact)`],
  floating_pieces: ['Floating pieces', (v) => (v ? `${v} do not touch the print bed` : 'none: every piece rests on the bed')],
  tunnels: ['Holes through it', (v, f) => `${v} (the image has ${f.subject_holes ?? '?'})`],
  thickness_ratio: ['Thickness', (v) => `${pct(v)} of its width`],
  bed_contact: ['On the print bed', (v) => `${pct(v)} of its footprint`],
  spikes: ['Spikes', (v) => (v ? `${(v * 100).toFixed(1)} % of the surface is needles or pits` : 'none')],
};
const FIDELITY_SKIP = new Set(['height_source', 'blank', 'pieces', 'subject_parts', 'subject_holes']);

function renderReport(rep, pa) {
  const box = $('report');
  box.replaceChildren();
  if (!rep) { box.innerHTML = '<p class="muted">No report.</p>'; return; }
  const warnings = [].concat(rep.warnings || []).map((w) => sentence(typeof w === 'string' ? w : w.message || JSON.stringify(w)));
  if (rep.over_budget) warnings.push('The mesh has more faces than the quality level allows: it could not be simplified further and stay closed.');
  if (pa && !pa.fits) warnings.push(`It does not fit the ${pa.profile.build_volume_mm.join(' × ')} mm build volume: scale it to ${(pa.scale_to_fit * 100).toFixed(0)} %.`);
  if (warnings.length) {
    const ul = el('ul', { class: 'warnings', 'aria-labelledby': 'warnings-head' });
    for (const w of warnings) ul.append(el('li', {}, w));
    box.append(el('p', { id: 'warnings-head', class: 'warnings-head' }, 'Check before printing:'), ul);
  }
  const dl = el('dl', { id: 'report-list' });
  const row = (k, v) => { if (v !== undefined && v !== null && v !== '') dl.append(el('dt', {}, k), el('dd', {}, String(v))); };
  row('Mode', rep.mode_reason ? `${rep.mode} (${rep.mode_reason})` : rep.mode);
  row('Quality', rep.quality_note ? `${rep.quality} (${rep.quality_note})` : rep.quality);
  row('Backend', rep.backend_fallback ? `${rep.backend} (${rep.backend_fallback})` : rep.backend);
  if (rep.size_mm) row('Size', `${mm3(rep.size_mm)} (W × D × H)`);
  if (rep.volume_mm3 !== undefined) row('Volume', `${(rep.volume_mm3 / 1000).toFixed(2)} cm³`);
  row('Faces', rep.faces?.toLocaleString('en'));
  row('Vertices', rep.vertices?.toLocaleString('en'));
  const f = rep.fidelity && typeof rep.fidelity === 'object' ? rep.fidelity : null;
  const pieces = rep.pieces ?? rep.topology?.components;
  if (pieces !== undefined) row('Pieces', f && f.subject_parts ? `${pieces} (the image's subject has ${f.subject_parts})` : pieces);
  if (rep.topology) {
    const t = rep.topology;
    row('Closed', t.boundary_edges === 0 && t.non_manifold_edges === 0 ? 'yes: watertight, 2-manifold' : `no: ${t.boundary_edges} open edges`);
  }
  if (rep.max_error_mm) row('Surface error', `at most ${rep.max_error_mm.toFixed(3)} mm`);
  if (pa) {
    row('Build volume', pa.fits ? `fits ${pa.profile.build_volume_mm.join(' × ')} mm${pa.rotate_z_90 ? ' (rotated 90°)' : ''}` : 'does not fit');
    row('Overhangs', `${pa.overhang_area_mm2.toFixed(0)} mm² over ${pa.profile.overhang_angle_deg}° (${pa.overhang_faces} faces): ${pa.overhang_area_mm2 > 0 ? 'needs supports' : 'prints without supports'}`);
    row('Material', `${pa.mass_g.toFixed(1)} g of ${pa.profile.density_g_cm3} g/cm³ filament (solid)`);
  }
  if (f) {
    for (const [k, v] of Object.entries(f)) {
      if (FIDELITY[k] && typeof v === 'number') row(FIDELITY[k][0], FIDELITY[k][1](v, f));
      else if (!FIDELITY_SKIP.has(k) && !FIDELITY[k]) row(words(k), fmt(v));
    }
  }
  for (const [k, v] of Object.entries(rep)) {
    if (!KNOWN.has(k) && (typeof v !== 'object' || v === null)) row(words(k), fmt(v));
  }
  if (rep.total_ns) row('Time', `${(rep.total_ns / 1e9).toFixed(2)} s`);
  box.append(dl);
  const det = el('details', {}, el('summary', {}, 'All report fields'), el('pre', {}, JSON.stringify(rep, null, 2)));
  box.append(det);
}

function words(k) { return k.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()); }
function fmt(v) { return typeof v === 'number' ? String(Math.round(v * 1000) / 1000) : typeof v === 'object' ? JSON.stringify(v) : String(v); }

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
}

// ---- downloads -----------------------------------------------------------------------------

function renderDownloads(st) {
  const box = $('downloads');
  box.replaceChildren();
  for (const f of FORMATS) {
    const url = st.downloads && st.downloads[f];
    if (url) {
      box.append(el('a', { href: url, download: `${base(st.filename)}.${f}`, class: 'button', 'data-format': f }, `Download ${f.toUpperCase()}`));
      const zip = f === 'obj' && st.downloads['obj.zip'];
      if (zip) box.append(el('a', { href: zip, download: `${base(st.filename)}.obj.zip`, class: 'button', 'data-format': 'obj.zip', title: 'model.obj, model.mtl and the texture' }, 'Download OBJ + texture (zip)'));
    } else {
      const b = el('button', { type: 'button', 'data-format': f }, `Make ${f.toUpperCase()}`);
      b.addEventListener('click', async () => {
        const s = await generate(f);
        if (s && (await settle(s))) {
          say(`${f.toUpperCase()} ready.`, 'ok');
          $('downloads').querySelector(`a[data-format="${f}"]`)?.click();
        }
      });
      box.append(b);
    }
  }
}

function base(name) { return (name || 'model').replace(/\.[^.]*$/, '').replace(/[^\w.-]+/g, '_') || 'model'; }

// ---- history -------------------------------------------------------------------------------

function history() {
  try { return JSON.parse(localStorage.getItem(HISTORY_KEY)) || []; } catch { return []; }
}

function remember(item) {
  const old = history().find((h) => h.job_id === item.job_id) || {};
  const list = [{ ...old, ...item }, ...history().filter((h) => h.job_id !== item.job_id)].slice(0, 20);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(list));
  renderHistory();
}

function renderHistory() {
  const ol = $('history');
  ol.replaceChildren();
  const list = history();
  for (const h of list) {
    const b = el('button', { type: 'button', 'data-job': h.job_id }, 'Open');
    b.addEventListener('click', () => reopen(h.job_id));
    const when = new Date(h.when).toLocaleString();
    const li = el('li', {}, `${h.filename || h.job_id} · ${h.status || 'uploaded'}${h.mode ? ' · ' + h.mode : ''} · ${when} `, b);
    if (h.picture) {
      const img = el('img', { src: h.picture, alt: '', class: 'thumb', loading: 'lazy' });
      img.addEventListener('error', () => img.remove()); // the job is gone from the server
      li.prepend(img);
    }
    ol.append(li);
  }
  if (!list.length) ol.append(el('li', { class: 'muted' }, 'None yet in this browser.'));
  $('clear-history').hidden = !list.length;
}

async function reopen(id) {
  const r = await api('GET', `/api/job-status/${id}`);
  if (!r.ok) {
    say(r.status === 404 ? 'That job is no longer on the server (jobs are removed after the retention time).' : reason(r), 'error');
    return;
  }
  const st = r.data;
  if (st.kind !== 'image') { say('That job holds a mesh, not an image.', 'error'); return; }
  openJob(st.job_id, st.image_info, st.preview_url, st.filename);
  if (st.mode) $('mode').value = st.mode;
  if (st.quality) $('quality').value = st.quality;
  if (TERMINAL.has(st.status) || st.status === 'uploaded') {
    if (st.status === 'completed') { await settle(st); say(`Reopened ${st.filename}.`, 'ok'); }
    else say(`Reopened ${st.filename}: ${st.status}${st.error ? ' (' + st.error + ')' : ''}.`);
    return;
  }
  setBusy(true);
  $('cancel').disabled = false;
  const fin = await follow(id, (st.format || '').toUpperCase());
  $('cancel').disabled = true;
  setBusy(false);
  if (fin) await settle(fin);
}

// ---- wiring --------------------------------------------------------------------------------

function wire() {
  const drop = $('drop');
  $('file').addEventListener('change', (e) => { upload(e.target.files[0]); e.target.value = ''; });
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); $('file').click(); } });
  for (const t of ['dragenter', 'dragover']) drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const t of ['dragleave', 'drop']) drop.addEventListener(t, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); upload(e.dataTransfer.files[0]); });
  document.addEventListener('paste', (e) => {
    const item = [...(e.clipboardData?.items || [])].find((i) => i.kind === 'file' && i.type.startsWith('image/'));
    if (item) upload(item.getAsFile());
  });
  $('width').addEventListener('input', () => lockAspect('width'));
  $('height').addEventListener('input', () => lockAspect('height'));
  $('lock').addEventListener('change', () => lockAspect('width'));
  $('settings').addEventListener('submit', (e) => { e.preventDefault(); if (!state.busy) run(); });
  $('cancel').addEventListener('click', cancel);
  $('reset').addEventListener('click', () => viewer && viewer.reset());
  $('clear-history').addEventListener('click', () => { localStorage.removeItem(HISTORY_KEY); renderHistory(); });
  $('prompt-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const prompt = $('prompt').value.trim();
    if (!prompt) { say('Type a description first.', 'error'); return; }
    say('Asking the server for an image…');
    const r = await fetch('/api/text-to-image', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt }) }).catch(() => null);
    if (!r) { say('The server did not answer (is it running?).', 'error'); return; }
    if ((r.headers.get('Content-Type') || '').startsWith('image/')) {
      const blob = await r.blob();
      upload(new File([blob], 'prompt.png', { type: blob.type }));
      return;
    }
    const data = await r.json().catch(() => null);
    if (r.status === 501) $('prompt-form').hidden = true;
    if (r.ok && data && data.job_id) { reopen(data.job_id); return; }
    say(reason({ status: r.status, statusText: r.statusText, data, headers: r.headers }), 'error');
  });
  renderHistory();
  checkServer();
}

wire();
