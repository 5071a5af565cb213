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
for (let i = 0; i < runs; i++) {
	const t0 = performance.now();
	[result, error] = MeshoptSimplifier.simplify(indices, positions, 3, target, 1.0, []);
	best = Math.min(best, (performance.now() - t0) / 1000);
}
const scale = MeshoptSimplifier.getScale(positions, 3);
const out = Buffer.alloc(4 + 4 * result.length);
out.writeUInt32LE(result.length / 3, 0);
Buffer.from(result.buffer, result.byteOffset, result.byteLength).copy(out, 4);
writeFileSync(output, out);
console.log(`meshopt  simplify: ${best.toFixed(3)} s (best of ${runs}), ${result.length / 3} triangles, result error ${(error * scale).toPrecision(4)} mm (${error.toPrecision(3)} of extent, its own quadric measure)`);
