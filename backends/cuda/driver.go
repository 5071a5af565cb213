//go:build cgo

package cuda

/*
#cgo LDFLAGS: -ldl
#include "driver.h"
#define ORFEAS_GO_SIDE 1
#include "kernels/args.h"

#define OCU_NAME(module, name) #name,
static const char *ocu_kernel_names[] = {ORFEAS_KERNELS(OCU_NAME) 0};
#define OCU_MODULE(module, name) #module,
static const char *ocu_kernel_modules[] = {ORFEAS_KERNELS(OCU_MODULE) 0};
static const char *ocu_kernel_name(int k) { return ocu_kernel_names[k]; }
static const char *ocu_kernel_module(int k) { return ocu_kernel_modules[k]; }
*/
import "C"

import (
	"embed"
	"errors"
	"fmt"
	"sort"
	"sync"
	"unsafe"

	"github.com/orfeas3d/orfeas/backends"
	"github.com/orfeas3d/orfeas/backends/cuda/internal/gpu"
)

//go:embed kernels/*.ptx
var ptxFS embed.FS

// cudaNoDevice is CUDA_ERROR_NO_DEVICE.
const cudaNoDevice = 100

// driverError is a failed driver call.
type driverError struct {
	op   string
	code int
	name string
	msg  string
}

func (e *driverError) Error() string {
	return fmt.Sprintf("cuda: %s: %s (%d): %s", e.op, e.name, e.code, e.msg)
}

// Unwrap makes an out-of-memory result match ErrOutOfMemory.
func (e *driverError) Unwrap() error {
	if e.code == C.OCU_ERROR_OUT_OF_MEMORY {
		return gpu.ErrOutOfMemory
	}
	return nil
}

// check turns a driver result into an error.
func check(op string, r C.CUresult) error {
	if r == C.OCU_SUCCESS {
		return nil
	}
	return &driverError{op: op, code: int(r), name: C.GoString(C.ocu_error_name(r)), msg: C.GoString(C.ocu_error_string(r))}
}

// driver is the process-wide state of the dynamically loaded driver library.
var driver struct {
	once    sync.Once
	err     error // wraps backends.ErrUnavailable
	devices int
}

// loadDriver opens libcuda.so.1 and initialises it, once per process.
func loadDriver() error {
	driver.once.Do(func() {
		var what *C.char
		switch r := C.ocu_load(&what); r {
		case C.OCU_SUCCESS:
		case C.OCU_NO_LIBRARY:
			driver.err = fmt.Errorf("%w: cuda: no NVIDIA driver: %s", backends.ErrUnavailable, C.GoString(what))
			return
		default:
			driver.err = fmt.Errorf("%w: cuda: the NVIDIA driver lacks %s (too old)", backends.ErrUnavailable, C.GoString(what))
			return
		}
		if r := C.ocu_init(); r != C.OCU_SUCCESS {
			if r == cudaNoDevice {
				driver.err = fmt.Errorf("%w: cuda: no CUDA device", backends.ErrUnavailable)
			} else {
				driver.err = fmt.Errorf("%w: %w", backends.ErrUnavailable, check("cuInit", r))
			}
			return
		}
		var n C.int
		if err := check("cuDeviceGetCount", C.ocu_device_count(&n)); err != nil {
			driver.err = fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
			return
		}
		if n <= 0 {
			driver.err = fmt.Errorf("%w: cuda: no CUDA device", backends.ErrUnavailable)
			return
		}
		driver.devices = int(n)
	})
	return driver.err
}

// device is one GPU's primary context with the kernels loaded.
type device struct {
	dev     C.CUdevice
	ctx     C.CUcontext
	modules []C.CUmodule
	funcs   [kernelCount]C.CUfunction
	info    Info
}

// openDevice retains device ordinal's primary context and loads the kernels (the driver
// JIT-compiles the PTX for the GPU). Failures wrap backends.ErrUnavailable.
func openDevice(ordinal int) (*device, error) {
	if err := loadDriver(); err != nil {
		return nil, err
	}
	if ordinal < 0 || ordinal >= driver.devices {
		return nil, fmt.Errorf("%w: cuda: device %d does not exist (%d devices)", backends.ErrUnavailable, ordinal, driver.devices)
	}
	d := &device{}
	var name [256]C.char
	var total C.size_t
	var major, minor C.int
	if err := check("open device", C.ocu_open(C.int(ordinal), &d.dev, &d.ctx, &name[0], C.int(len(name)), &total, &major, &minor)); err != nil {
		return nil, fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
	}
	d.info = Info{Name: C.GoString(&name[0]), TotalMemory: uint64(total), ComputeCapability: [2]int{int(major), int(minor)}}
	var free, tot C.size_t
	if err := check("cuMemGetInfo", C.ocu_mem_info(d.ctx, &free, &tot)); err != nil {
		d.close()
		return nil, fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
	}
	d.info.FreeMemory = uint64(free)
	if err := d.load(); err != nil {
		d.close()
		return nil, fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
	}
	return d, nil
}

// load loads every kernel module and looks up every kernel.
func (d *device) load() error {
	mods := map[string]C.CUmodule{}
	var names []string
	for k := range kernelCount {
		names = append(names, C.GoString(C.ocu_kernel_module(C.int(k))))
	}
	sort.Strings(names)
	for _, m := range names {
		if _, ok := mods[m]; ok {
			continue
		}
		src, err := ptxFS.ReadFile("kernels/" + m + ".ptx")
		if err != nil {
			return fmt.Errorf("cuda: kernel module %s: %w", m, err)
		}
		text := C.CString(string(src))
		var mod C.CUmodule
		err = check("cuModuleLoadData "+m, C.ocu_module_load(d.ctx, &mod, text))
		C.free(unsafe.Pointer(text))
		if err != nil {
			return err
		}
		mods[m] = mod
		d.modules = append(d.modules, mod)
	}
	for k := range kernelCount {
		m := mods[C.GoString(C.ocu_kernel_module(C.int(k)))]
		if err := check("cuModuleGetFunction "+C.GoString(C.ocu_kernel_name(C.int(k))),
			C.ocu_function(d.ctx, &d.funcs[k], m, C.ocu_kernel_name(C.int(k)))); err != nil {
			return err
		}
	}
	return nil
}

// close unloads the modules and releases the primary context.
func (d *device) close() error {
	var errs []error
	for _, m := range d.modules {
		errs = append(errs, check("cuModuleUnload", C.ocu_module_unload(d.ctx, m)))
	}
	d.modules = nil
	errs = append(errs, check("cuDevicePrimaryCtxRelease", C.ocu_release(d.dev)))
	return errors.Join(errs...)
}

func (d *device) alloc(size uint64) (gpu.Ptr, error) {
	var p C.CUdeviceptr
	if err := check("cuMemAlloc", C.ocu_alloc(d.ctx, &p, C.size_t(size))); err != nil {
		return 0, err
	}
	return gpu.Ptr(p), nil
}

func (d *device) free(p gpu.Ptr) error {
	return check("cuMemFree", C.ocu_free(d.ctx, C.CUdeviceptr(p)))
}

// pool keeps freed device buffers by size class for reuse; everything is freed by drain.
type pool struct {
	mu     sync.Mutex
	d      *device
	free   map[uint64][]gpu.Ptr
	cached uint64
}

// sizeClass rounds size up to one of four steps per power of two (at most 25 % waste).
func sizeClass(size uint64) uint64 {
	c := uint64(256)
	for c < size {
		c *= 2
	}
	if c <= 256 {
		return c
	}
	step := c / 8 // c/2 < size <= c: classes c/2 + k·c/8
	return (size + step - 1) / step * step
}

func (p *pool) get(size uint64) (gpu.Ptr, uint64, error) {
	class := sizeClass(max(size, 1))
	p.mu.Lock()
	if l := p.free[class]; len(l) > 0 {
		ptr := l[len(l)-1]
		p.free[class] = l[:len(l)-1]
		p.cached -= class
		p.mu.Unlock()
		return ptr, class, nil
	}
	p.mu.Unlock()
	ptr, err := p.d.alloc(class)
	if errors.Is(err, gpu.ErrOutOfMemory) {
		// Cached buffers of other sizes may be what is missing.
		p.drain()
		ptr, err = p.d.alloc(class)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cuda: allocating %d bytes: %w", size, err)
	}
	return ptr, class, nil
}

func (p *pool) put(ptr gpu.Ptr, class uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.free == nil {
		p.free = map[uint64][]gpu.Ptr{}
	}
	p.free[class] = append(p.free[class], ptr)
	p.cached += class
}

// drain frees every cached buffer.
func (p *pool) drain() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	classes := make([]uint64, 0, len(p.free))
	for c := range p.free {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool { return classes[i] < classes[j] })
	for _, c := range classes {
		for _, ptr := range p.free[c] {
			errs = append(errs, p.d.free(ptr))
		}
	}
	p.free, p.cached = nil, 0
	return errors.Join(errs...)
}

// stream is a gpu.Stream on the device: one CUDA stream, and the buffers it took from the pool.
type stream struct {
	d    *device
	p    *pool
	s    C.CUstream
	bufs []poolBuf
}

type poolBuf struct {
	ptr   gpu.Ptr
	class uint64
}

func newStream(d *device, p *pool) (*stream, error) {
	s := &stream{d: d, p: p}
	if err := check("cuStreamCreate", C.ocu_stream_create(d.ctx, &s.s)); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *stream) Alloc(size uint64) (gpu.Ptr, error) {
	ptr, class, err := s.p.get(size)
	if err != nil {
		return 0, err
	}
	s.bufs = append(s.bufs, poolBuf{ptr, class})
	return ptr, nil
}

func (s *stream) Upload(dst gpu.Ptr, src unsafe.Pointer, size uint64) error {
	return check("upload", C.ocu_upload(s.d.ctx, s.s, C.CUdeviceptr(dst), src, C.size_t(size)))
}

func (s *stream) Download(dst unsafe.Pointer, src gpu.Ptr, size uint64) error {
	return check("download", C.ocu_download(s.d.ctx, s.s, dst, C.CUdeviceptr(src), C.size_t(size)))
}

func (s *stream) Launch(k gpu.Kernel, blocks, threads uint32, args unsafe.Pointer, _ uintptr) error {
	if int(k) < 0 || int(k) >= kernelCount {
		return fmt.Errorf("cuda: no kernel %d", k)
	}
	return check("launch "+C.GoString(C.ocu_kernel_name(C.int(k))),
		C.ocu_launch(s.d.ctx, s.s, s.d.funcs[k], C.uint(blocks), C.uint(threads), args))
}

func (s *stream) Sync() error { return check("cuStreamSynchronize", C.ocu_sync(s.d.ctx, s.s)) }

// release waits for the stream's work, destroys it and returns its buffers to the pool. A
// buffer is reused only after the work that used it has finished.
func (s *stream) release() error {
	err := check("cuStreamDestroy", C.ocu_stream_destroy(s.d.ctx, s.s))
	if err != nil {
		// The device is in an unknown state: do not recycle memory kernels may still use.
		return err
	}
	for _, b := range s.bufs {
		s.p.put(b.ptr, b.class)
	}
	s.bufs = nil
	return nil
}
