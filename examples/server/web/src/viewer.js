// The 3D preview: three.js with its GLTFLoader and OrbitControls. The GLB the server writes is
// in metres with +Y up (glTF); the scene works in millimetres, so the model is scaled by 1000
// and stands on a ground grid whose cells are 10 mm.
import * as THREE from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';

export class Viewer {
  constructor(el) {
    this.el = el;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.renderer.outputColorSpace = THREE.SRGBColorSpace;
    this.renderer.setClearColor(0xe9edf2);
    el.appendChild(this.renderer.domElement);
    this.scene = new THREE.Scene();
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8090a0, 2.2));
    const sun = new THREE.DirectionalLight(0xffffff, 2.0);
    sun.position.set(0.6, 1, 0.8);
    this.scene.add(sun);
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.1, 100000);
    this.camera.position.set(150, 150, 150);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.listenToKeyEvents(el); // arrow keys pan while the viewer has focus
    this.controls.addEventListener('change', () => this.render());
    this.model = null;
    this.grid = null;
    new ResizeObserver(() => this.resize()).observe(el);
    this.resize();
  }

  resize() {
    const w = this.el.clientWidth || 1, h = this.el.clientHeight || 1;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  render() { this.renderer.render(this.scene, this.camera); }

  // load shows the GLB in buf and returns the model's size in mm along the mesh's own axes
  // (X, Y, Z with Z up), measured from the geometry the browser decoded.
  async load(buf) {
    const gltf = await new GLTFLoader().parseAsync(buf, '');
    if (this.model) { this.scene.remove(this.model); dispose(this.model); }
    if (this.grid) { this.scene.remove(this.grid); this.grid.dispose(); }
    const model = gltf.scene;
    model.scale.setScalar(1000); // metres to mm
    model.updateMatrixWorld(true);
    const box = new THREE.Box3().setFromObject(model);
    const size = box.getSize(new THREE.Vector3());
    const center = box.getCenter(new THREE.Vector3());
    // Centre over the origin, standing on the grid.
    model.position.set(-center.x, -box.min.y, -center.z);
    this.scene.add(model);
    this.model = model;
    const span = Math.max(size.x, size.z);
    const cells = Math.max(2, Math.ceil(span * 1.6 / 10));
    this.grid = new THREE.GridHelper(cells * 10, cells, 0x7a8796, 0xc3cad3);
    this.scene.add(this.grid);
    const radius = Math.max(size.length() / 2, 1);
    // Fit the sphere around the model in the narrower of the two fields of view (a phone is
    // taller than wide).
    const vfov = THREE.MathUtils.degToRad(this.camera.fov);
    const hfov = 2 * Math.atan(Math.tan(vfov / 2) * this.camera.aspect);
    const dist = radius / Math.sin(Math.min(vfov, hfov) / 2) * 1.05;
    this.home = {
      pos: new THREE.Vector3(0.55, 0.65, 0.9).normalize().multiplyScalar(dist),
      target: new THREE.Vector3(0, size.y / 2, 0),
    };
    this.camera.near = dist / 100;
    this.camera.far = dist * 100;
    this.controls.minDistance = radius * 0.2;
    this.controls.maxDistance = dist * 10;
    this.reset();
    // glTF (x, y up, z) is the mesh's (x, z, -y).
    return [size.x, size.z, size.y];
  }

  reset() {
    if (!this.home) return;
    this.camera.position.copy(this.home.pos);
    this.controls.target.copy(this.home.target);
    this.camera.updateProjectionMatrix();
    this.controls.update();
    this.render();
  }
}

function dispose(obj) {
  obj.traverse((o) => {
    if (o.geometry) o.geometry.dispose();
    for (const m of [].concat(o.material || [])) {
      for (const v of Object.values(m)) if (v && v.isTexture) v.dispose();
      m.dispose();
    }
  });
}
