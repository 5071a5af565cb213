//go:build cgo

package estimators

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

static const char *orfeas_dlopen_global(const char *path) {
	if (dlopen(path, RTLD_NOW | RTLD_GLOBAL) == NULL) {
		const char *e = dlerror();
		return e ? e : "dlopen failed";
	}
	return NULL;
}
*/
import "C"

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// cudaLibraryOrder lists the CUDA and cuDNN libraries the CUDA execution provider needs, in an
// order in which each one's own dependencies come first.
var cudaLibraryOrder = []string{"libcudart", "libcublasLt", "libcublas", "libcufft", "libcurand", "libnvrtc", "libcudnn"}

var preloaded sync.Map // dir → error (nil when its libraries loaded)

// preloadCUDA loads the CUDA libraries of dir with RTLD_GLOBAL, once per dir, so that the CUDA
// execution provider's own dlopen of them by soname finds them loaded.
func preloadCUDA(dir string) error {
	if dir == "" {
		return nil
	}
	if v, ok := preloaded.Load(dir); ok {
		err, _ := v.(error)
		return err
	}
	err := loadCUDALibraries(dir)
	preloaded.Store(dir, err)
	return err
}

func loadCUDALibraries(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("CUDA library folder: %w", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	loaded := 0
	for _, prefix := range cudaLibraryOrder {
		for _, n := range names {
			if !strings.HasPrefix(n, prefix) || !strings.Contains(n, ".so") {
				continue
			}
			if prefix == "libcublas" && strings.HasPrefix(n, "libcublasLt") {
				continue
			}
			p := C.CString(filepath.Join(dir, n))
			msg := C.orfeas_dlopen_global(p)
			C.free(unsafe.Pointer(p))
			if msg != nil {
				return fmt.Errorf("loading %s: %s", n, C.GoString(msg))
			}
			loaded++
		}
	}
	if loaded == 0 {
		return fmt.Errorf("no CUDA libraries (libcudart*.so*, libcublas*, libcudnn*) in %s", dir)
	}
	return nil
}
