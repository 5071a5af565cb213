// Browser tests of the studio page: headless Debian chromium driven by playwright-core, against
// servers started by examples/server's TestStudioBrowser (go test), which passes:
//   STUDIO_URL       a server that generates at full speed
//   STUDIO_SLOW_URL  a server whose generations wait (ORFEAS_TEST_GENERATE_DELAY), to cancel
//   STUDIO_IMAGE     a sample image; STUDIO_BAD a file that is not an image
//   STUDIO_WARN_IMAGE an image whose extrusion draws a fidelity warning (a hole the image lacks)
//   STUDIO_OUT       where screenshots, downloads and result.json go (the Go test then decodes
//                    every download and checks it against the report)
//   CHROMIUM         the browser (default /usr/bin/chromium)
// Every test asserts what a person sees: the message text, the progress bar, the canvas pixels,
// the size readout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.STUDIO_URL;
const SLOW = process.env.STUDIO_SLOW_URL;
const OUT = process.env.STUDIO_OUT || 'screenshots';
const IMAGE = process.env.STUDIO_IMAGE;
const BAD = process.env.STUDIO_BAD;
const WARN_IMAGE = process.env.STUDIO_WARN_IMAGE;
if (!BASE || !SLOW || !IMAGE || !BAD || !WARN_IMAGE) throw new Error('run through go test ./examples/server -run TestStudioBrowser');
mkdirSync(join(OUT, 'downloads'), { recursive: true });

let browser, context, page;
const external = [];
const pageErrors = [];
const result = {};

async function shot(name, target = page) {
  await target.screenshot({ path: join(OUT, `${name}.png`), fullPage: target === page });
}

// canvasStats reads the rendered pixels of the 3D canvas: the share of the central area that
// differs from the background, and the luminance's standard deviation.
function canvasStats(p) {
  return p.evaluate(() => {
    const src = document.querySelector('#viewer canvas');
    if (!src) return null;
    const c = document.createElement('canvas');
    c.width = src.width; c.height = src.height;
    const g = c.getContext('2d');
    g.drawImage(src, 0, 0);
    const x0 = Math.floor(c.width * 0.2), y0 = Math.floor(c.height * 0.2);
    const w = Math.floor(c.width * 0.6), h = Math.floor(c.height * 0.6);
    const d = g.getImageData(x0, y0, w, h).data;
    let differ = 0, sum = 0, sum2 = 0;
    const n = d.length / 4;
    for (let i = 0; i < d.length; i += 4) {
      const dr = d[i] - 0xe9, dg = d[i + 1] - 0xed, db = d[i + 2] - 0xf2;
      if (Math.abs(dr) + Math.abs(dg) + Math.abs(db) > 30) differ++;
      const l = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      sum += l; sum2 += l * l;
    }
    const mean = sum / n;
    return { differ: differ / n, std: Math.sqrt(sum2 / n - mean * mean), hash: Array.from(d.filter((_, i) => i % 4099 === 0)).join(',') };
  });
}

async function message(p = page) { return (await p.textContent('#message')).trim(); }

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith(SLOW) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) external.push(r.url()); });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/status of 4\d\d|status of 50\d/.test(m.text())) pageErrors.push(m.text()); });
});

after(async () => {
  writeFileSync(join(OUT, 'result.json'), JSON.stringify(result, null, 2));
  await browser?.close();
});

test('the page loads from the server alone, keyboard reachable, no prompt box without a provider', async () => {
  await page.goto(BASE + '/');
  await page.waitForFunction(() => !document.querySelector('#server').textContent.includes('connecting'));
  assert.match(await page.textContent('#server'), /cpu backend/);
  assert.equal(await page.isVisible('#prompt-form'), false, 'the prompt box shows only where text to image is configured');
  await shot('01-desktop-empty');
  // Tab from the top reaches the drop zone and every setting (the buttons are disabled until
  // an image is there).
  const reached = new Set();
  await page.focus('body');
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    reached.add(await page.evaluate(() => document.activeElement.id));
  }
  for (const id of ['drop', 'mode', 'quality', 'width', 'height', 'depth', 'format', 'lock']) assert.ok(reached.has(id), `Tab reaches #${id}: ${[...reached]}`);
});

test('an invalid file shows the server\'s reason', async () => {
  const r = await fetch(BASE + '/api/upload-image', { method: 'POST', body: (() => { const f = new FormData(); f.append('image', new Blob([readFileSync(BAD)]), 'bad.png'); return f; })() });
  const why = (await r.json()).error;
  assert.equal(r.status, 400);
  await page.setInputFiles('#file', BAD);
  await page.waitForFunction(() => document.querySelector('#message').className === 'error');
  const msg = await message();
  assert.ok(msg.toLowerCase().includes(why.toLowerCase()), `message ${JSON.stringify(msg)} carries the server's reason ${JSON.stringify(why)}`);
  assert.doesNotMatch(msg, /\b400\b/, 'a reason, not a status code');
  await shot('02-desktop-invalid-file');
});

test('upload, generate with a live progress bar, see the model, read the report', async () => {
  await page.setInputFiles('#file', IMAGE);
  await page.waitForSelector('#preview-img', { state: 'visible' });
  await page.waitForFunction(() => document.querySelector('#image-info').textContent.includes('px'));
  assert.match(await page.textContent('#image-info'), /200 × 200 px · png · RGBA · transparent/);
  assert.equal(await page.inputValue('#height'), '100', 'aspect locked: a square image is 100 × 100');
  await page.selectOption('#mode', 'inflate');
  await page.selectOption('#quality', 'draft');
  await page.selectOption('#format', 'stl');
  await shot('03-desktop-uploaded');
  await page.evaluate(() => {
    window.__seen = [];
    const p = document.querySelector('#progress');
    new MutationObserver(() => window.__seen.push(Number(p.value))).observe(p, { attributes: true });
  });
  await page.click('#generate');
  await page.waitForFunction(() => document.querySelector('#progress').value > 0 && document.querySelector('#progress').value < 100, null, { timeout: 60000 }).catch(() => {});
  await shot('04-desktop-progress');
  await page.waitForFunction(() => /^Done/.test(document.querySelector('#message').textContent), null, { timeout: 120000 });
  const seen = await page.evaluate(() => window.__seen);
  assert.ok(seen.some((v) => v > 0 && v < 100), `the bar moved: ${seen}`);
  assert.equal(await page.evaluate(() => document.querySelector('#progress').value), 100);
  assert.match(await page.textContent('#stage'), /100% · done/);
  await page.waitForFunction(() => document.querySelector('#dims').textContent.startsWith('Model:'));
  await page.waitForFunction(() => document.querySelector('#report-list')?.textContent.includes('Build volume'));
  await shot('05-desktop-model');
  await shot('05b-desktop-viewer', page.locator('#viewer'));

  const stats = await canvasStats(page);
  assert.ok(stats.differ > 0.08 && stats.std > 6, `the canvas shows a model: ${JSON.stringify({ differ: stats.differ, std: stats.std })}`);

  // The readout, measured by the browser from the GLB it loaded, equals the report's size.
  const dims = (await page.textContent('#dims')).match(/Model: (.*) mm/)[1];
  const sizeRow = await page.evaluate(() => [...document.querySelectorAll('#report-list dt')].find((d) => d.textContent === 'Size').nextElementSibling.textContent);
  assert.equal(sizeRow, `${dims} mm (W × D × H)`);
  const jobId = await page.evaluate(() => JSON.parse(localStorage.getItem('orfeas.studio.history'))[0].job_id);
  const st = await (await fetch(`${BASE}/api/job-status/${jobId}`)).json();
  assert.equal(dims, st.report.size_mm.map((v) => v.toFixed(1)).join(' × '));
  assert.equal(st.report.mode, 'inflate');
  const text = await page.textContent('#report');
  for (const want of ['Mode', 'inflate', 'Volume', 'cm³', 'Faces', 'Pieces', 'Overhangs', 'Build volume', 'fits']) assert.ok(text.includes(want), `report shows ${want}`);
  result.job_id = jobId;
  result.size_mm = st.report.size_mm;
  result.faces = st.report.faces;

  // Turn it around: a drag changes the picture, Reset brings the first view back.
  const box = await page.locator('#viewer canvas').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 160, box.y + box.height / 2 + 40, { steps: 8 });
  await page.mouse.up();
  await page.mouse.wheel(0, -300);
  const turned = await canvasStats(page);
  assert.notEqual(turned.hash, stats.hash, 'orbit and zoom change the view');
  await shot('06-desktop-orbit', page.locator('#viewer'));
  await page.click('#reset');
  assert.equal((await canvasStats(page)).hash, stats.hash, 'Reset view restores the first view');
  // Keyboard: arrow keys pan while the viewer has focus.
  await page.focus('#viewer');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowLeft');
  assert.notEqual((await canvasStats(page)).hash, stats.hash, 'arrow keys pan');
  await page.click('#reset');
});

const DOWNLOADS = ['stl', 'obj', 'glb', 'ply', '3mf', 'obj.zip'];

test('every format downloads, 3MF and the OBJ zip too', async () => {
  // obj.zip has no Make button: its link appears beside the OBJ's once the OBJ is made.
  for (const f of DOWNLOADS) {
    const ready = page.locator(`#downloads a[data-format="${f}"]`);
    const dl = page.waitForEvent('download', { timeout: 120000 });
    if (await ready.count()) await ready.click();
    else await page.click(`#downloads button[data-format="${f}"]`);
    const d = await dl;
    await d.saveAs(join(OUT, 'downloads', `model.${f}`));
    assert.match(d.suggestedFilename(), new RegExp(`\\.${f.replace('.', '\\.')}$`));
  }
  await page.waitForSelector('#downloads a[data-format="3mf"]');
  assert.deepEqual(await page.locator('#downloads a.button').allTextContents(),
    ['Download STL', 'Download OBJ', 'Download OBJ + texture (zip)', 'Download GLB', 'Download PLY', 'Download 3MF']);
  await shot('07-desktop-downloads');
});

test('the fidelity warnings of a report are listed in words', async () => {
  await page.setInputFiles('#file', WARN_IMAGE);
  await page.waitForFunction(() => document.querySelector('#image-info').textContent.includes('armadillo'));
  await page.selectOption('#mode', 'extrude');
  await page.selectOption('#quality', 'draft');
  await page.selectOption('#format', 'glb');
  await page.click('#generate');
  await page.waitForFunction(() => /^Done/.test(document.querySelector('#message').textContent), null, { timeout: 120000 });
  await page.waitForFunction(() => document.querySelector('#report-list')?.textContent.includes('Build volume'));
  const jobId = await page.evaluate(() => JSON.parse(localStorage.getItem('orfeas.studio.history'))[0].job_id);
  const st = await (await fetch(`${BASE}/api/job-status/${jobId}`)).json();
  assert.ok(st.report.warnings?.length, `the armadillo's extrusion has warnings: ${JSON.stringify(st.report.warnings)}`);
  assert.equal(await page.textContent('#warnings-head'), 'Check before printing:');
  const items = await page.locator('#report ul.warnings li').allTextContents();
  for (const w of st.report.warnings) {
    assert.ok(items.some((i) => i.toLowerCase().startsWith(w.message.toLowerCase())), `warning ${JSON.stringify(w.message)} listed: ${JSON.stringify(items)}`);
  }
  assert.match(items.join(' '), /holes through it/);
  const rows = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('#report-list dt')].map((d) => [d.textContent, d.nextElementSibling.textContent])));
  assert.equal(rows['Mode'], `extrude (${st.report.mode_reason})`, 'mode and why');
  assert.equal(rows['Pieces'], `${st.report.pieces} (the image's subject has ${st.report.fidelity.subject_parts})`);
  assert.equal(rows['Holes through it'], `${st.report.fidelity.tunnels} (the image has ${st.report.fidelity.subject_holes})`);
  assert.match(rows['On the print bed'], /^\d+ % of its footprint$/);
  assert.match(rows['Outline'], /^matches the image's subject \d+ % \(IoU [01]\.\d\d\)$/);
  assert.ok(!Object.keys(rows).some((k) => /_|^Fidelity/.test(k)), `every row label in words: ${Object.keys(rows)}`);
  await shot('07b-desktop-warnings');
  await shot('07c-desktop-warnings-report', page.locator('#report'));
});

test('the new error statuses are said in words: disk full, decode budget, deadline', async () => {
  const fake = (status, error) => (route) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify({ error, status: 'error' }) });
  await page.route('**/api/upload-image', fake(507, "the server's data folder is full: nothing can be stored until space is freed"));
  await page.setInputFiles('#file', IMAGE);
  await page.waitForFunction(() => document.querySelector('#message').className === 'error');
  assert.equal(await message(), "The server's disk is full: nothing can be stored until space is freed. Try again later.");
  await shot('07d-desktop-disk-full');
  await page.unroute('**/api/upload-image');
  await page.route('**/api/upload-image', fake(413, 'decoding this 9000×9000 image needs about 324 MB, more than the server allows (256 MB)'));
  await page.setInputFiles('#file', IMAGE);
  await page.waitForFunction(() => /too large for the server to open/.test(document.querySelector('#message').textContent));
  assert.match(await message(), /^This image is too large for the server to open \(decoding this 9000×9000 image needs about 324 MB.*\)\. Try a smaller image\.$/);
  await page.unroute('**/api/upload-image');
  await page.route('**/api/generate-3d', fake(503, "the operation exceeded the server's deadline of 5m0s: the request was stopped"));
  await page.click('#generate');
  await page.waitForFunction(() => /time limit/.test(document.querySelector('#message').textContent));
  assert.match(await message(), /^The server stopped this request: it took longer than the server's time limit \(.*deadline of 5m0s.*\)\. Try a lower quality/);
  await page.unroute('**/api/generate-3d');
});

test('409: a generation already running (another tab) is explained and followed; a double click sends one request; cancel', async () => {
  await page.goto(SLOW + '/');
  await page.setInputFiles('#file', IMAGE);
  await page.waitForSelector('#preview-img', { state: 'visible' });
  await page.selectOption('#quality', 'draft');
  const jobId = await page.evaluate(() => JSON.parse(localStorage.getItem('orfeas.studio.history'))[0].job_id);
  // Another tab starts this job's generation first.
  const other = await fetch(SLOW + '/api/generate-3d', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ job_id: jobId, format: 'glb', quality: 'draft' }) });
  assert.equal(other.status, 202);
  await page.click('#generate');
  await page.waitForFunction(() => document.querySelector('#message').textContent.includes('already being generated'));
  assert.notEqual(await page.getAttribute('#message', 'class'), 'error', '409 is handled, not shown as a failure');
  await page.waitForFunction(() => /processing/.test(document.querySelector('#stage').textContent));
  await shot('08-desktop-conflict-followed');
  await page.click('#cancel');
  await page.waitForFunction(() => document.querySelector('#message').textContent.startsWith('Canceled'));
  assert.match(await page.textContent('#stage'), /canceled/);
  await shot('09-desktop-canceled');
  const st = await (await fetch(`${SLOW}/api/job-status/${jobId}`)).json();
  assert.equal(st.status, 'canceled');

  // A double click on Generate: the page sends one request (the button is disabled at once),
  // so no conflict and no error.
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/generate-3d')) posts.push(r.url()); });
  await page.dblclick('#generate');
  await page.waitForFunction(() => /processing|queued/.test(document.querySelector('#stage').textContent));
  assert.equal(posts.length, 1, 'one generate request for a double click');
  assert.notEqual(await page.getAttribute('#message', 'class'), 'error');
  await page.click('#cancel');
  await page.waitForFunction(() => document.querySelector('#message').textContent.startsWith('Canceled'));
});

test('reload, reopen the job from the history', async () => {
  await page.goto(BASE + '/');
  await page.reload();
  const item = page.locator(`#history button[data-job="${result.job_id}"]`);
  await item.waitFor();
  // Each finished job in the history shows the server's picture of its model.
  const thumb = page.locator(`#history li:has(button[data-job="${result.job_id}"]) img.thumb`);
  assert.equal(await thumb.getAttribute('src'), `/api/preview-model/${result.job_id}`);
  await page.waitForFunction((id) => {
    const img = document.querySelector(`#history li:has(button[data-job="${id}"]) img.thumb`);
    return img && img.complete && img.naturalWidth === 512;
  }, result.job_id);
  await shot('10-desktop-history');
  await item.click();
  await page.waitForFunction(() => document.querySelector('#dims').textContent.startsWith('Model:'));
  await page.waitForFunction(() => document.querySelector('#report-list')?.textContent.includes('Build volume'));
  assert.match(await page.textContent('#message'), /Reopened/);
  const dims = (await page.textContent('#dims')).match(/Model: (.*) mm/)[1];
  assert.equal(dims, result.size_mm.map((v) => v.toFixed(1)).join(' × '));
  assert.equal(await page.locator('#downloads a.button').count(), DOWNLOADS.length, 'every format made before is offered again');
  const stats = await canvasStats(page);
  assert.ok(stats.differ > 0.08, 'the reopened model renders');
  await shot('11-desktop-reopened');
});

test('phone-sized screen: nothing wider than the screen, the model renders, buttons big enough', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  p.on('pageerror', (e) => pageErrors.push(String(e)));
  await p.goto(BASE + '/');
  await p.evaluate((h) => localStorage.setItem('orfeas.studio.history', h), await page.evaluate(() => localStorage.getItem('orfeas.studio.history')));
  await p.reload();
  await p.screenshot({ path: join(OUT, '12-phone-empty.png'), fullPage: true });
  await p.click(`#history button[data-job="${result.job_id}"]`);
  await p.waitForFunction(() => document.querySelector('#report-list')?.textContent.includes('Build volume'));
  assert.ok(await p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
  const gen = await p.locator('#generate').boundingBox();
  assert.ok(gen.height >= 36, `Generate is a touch-sized target (${gen.height}px)`);
  await p.locator('#viewer').scrollIntoViewIfNeeded();
  const stats = await canvasStats(p);
  assert.ok(stats.differ > 0.08, `the model renders on a phone: ${stats.differ}`);
  await p.screenshot({ path: join(OUT, '13-phone-reopened.png'), fullPage: true });
  await p.locator('#viewer').screenshot({ path: join(OUT, '14-phone-viewer.png') });
  await phone.close();
});

test('no request left the server, no script error', () => {
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
});
