// Runs meshoptimizer's simplifier (npm meshoptimizer, wasm) on a mesh written by simplifybench and
// prints its time and result error; writes the result faces for simplifybench compare.
//   node meshopt_simplify.mjs MODULE_DIR in.bin ratio out.bin [runs]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [moduleDir, input, ratioArg, output, runsArg] = process.argv.slice(2);
const { MeshoptSimplifier } = await import(pathToFileURL(join(moduleDir, 'meshopt_simplifier.js')).href);
await MeshoptSimplifier.ready;

const buf = readFileSync(input);
const nv = buf.readUInt32LE(0), nf = buf.readUInt32LE(4);
const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length).slice(); // aligned copy
const positions = new Float32Array(bytes.buffer, 8, nv * 3);
const indices = new Uint32Array(bytes.buffer, 8 + 12 * nv, nf * 3);
const target = Math.floor(nf * Number(ratioArg)) * 3;
const runs = Number(runsArg || 3);

let best = Infinity, result, error;
const walls = [], cpus = [];
for (let i = 0; i < runs; i++) {
	const t0 = performance.now(), c0 = process.cpuUsage();
	[result, error] = MeshoptSimplifier.simplify(indices, positions, 3, target, 1.0, []);
	const c = process.cpuUsage(c0);
	walls.push((performance.now() - t0) / 1000);
	cpus.push((c.user + c.system) / 1e6);
	best = Math.min(best, walls[walls.length - 1]);
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[(s.length - 1) >> 1]; };
const scale = MeshoptSimplifier.getScale(positions, 3);
const out = Buffer.alloc(4 + 4 * result.length);
out.writeUInt32LE(result.length / 3, 0);
Buffer.from(result.buffer, result.byteOffset, result.byteLength).copy(out, 4);
writeFileSync(output, out);
console.log(`TIME meshopt ${median(walls).toFixed(4)} ${median(cpus).toFixed(4)}`);
console.log(`meshopt  simplify: ${best.toFixed(3)} s (best of ${runs}; median ${median(walls).toFixed(3)} s, ${median(cpus).toFixed(3)} s CPU), ${result.length / 3} triangles, result error ${(error * scale).toPrecision(4)} mm (${error.toPrecision(3)} of extent, its own quadric measure)`);
