// obj-load.mjs loads an OBJ with its MTL and texture the way a three.js viewer does (three's
// OBJLoader and MTLLoader, from npm into .tools) and prints what it got as JSON: triangles,
// whether positions, normals and UVs are present, the material the faces use, its map_Kd file,
// the texture's PNG size, and the bounding box. Node has no image decoder, so the texture is
// checked as a PNG whose IHDR chunk, and its CRC, read correctly; the loaders' texture loading
// (which needs a browser's Image) is replaced by that check.
// Usage: node .ci/obj-load.mjs dir/model.obj
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = process.env.ORFEAS_THREE_DIR || join(here, '..', '.tools', 'node_modules', 'three');
const THREE = await import(pathToFileURL(join(root, 'build', 'three.module.js')).href);
const { OBJLoader } = await import(pathToFileURL(join(root, 'examples', 'jsm', 'loaders', 'OBJLoader.js')).href);
const { MTLLoader } = await import(pathToFileURL(join(root, 'examples', 'jsm', 'loaders', 'MTLLoader.js')).href);

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function pngSize(path) {
  const b = readFileSync(path);
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (b.length < 33 || !sig.every((v, i) => b[i] === v)) throw new Error(`${path}: not a PNG`);
  if (b.toString('latin1', 12, 16) !== 'IHDR') throw new Error(`${path}: no IHDR`);
  if (crc32(b.subarray(12, 29)) !== b.readUInt32BE(29)) throw new Error(`${path}: IHDR CRC mismatch`);
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

const objPath = process.argv[2];
const dir = dirname(objPath);
const objText = readFileSync(objPath, 'utf8');
const out = { textures: [] };
const lib = /^mtllib\s+(.+)$/m.exec(objText);
const loader = new OBJLoader();
if (lib) {
  const mtlName = lib[1].trim();
  const creator = new MTLLoader().parse(readFileSync(join(dir, mtlName), 'utf8'), dir + '/');
  creator.loadTexture = (url) => {
    const [w, h] = pngSize(url);
    out.textures.push({ file: url.slice(dir.length + 1), width: w, height: h });
    const t = new THREE.Texture();
    t.userData.file = url;
    return t;
  };
  creator.preload();
  out.mtllib = mtlName;
  loader.setMaterials(creator);
}
const group = loader.parse(objText);
let triangles = 0;
const box = new THREE.Box3();
out.meshes = 0;
group.traverse((o) => {
  if (!o.isMesh) return;
  out.meshes++;
  const g = o.geometry;
  triangles += g.attributes.position.count / 3;
  out.hasNormal = !!g.attributes.normal;
  out.hasUV = !!g.attributes.uv;
  out.hasColor = !!g.attributes.color;
  const m = Array.isArray(o.material) ? o.material[0] : o.material;
  out.material = m.name;
  out.map = m.map ? m.map.userData.file.slice(dir.length + 1) : null;
  g.computeBoundingBox();
  box.union(g.boundingBox);
});
out.triangles = triangles;
out.min = box.min.toArray();
out.max = box.max.toArray();
console.log(JSON.stringify(out));
