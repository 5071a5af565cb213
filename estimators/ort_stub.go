//go:build !cgo

package estimators

func initEnvironment(lib string) error {
	return &UnavailableError{Library: lib, Reason: "this binary was built with CGO_ENABLED=0; ONNX Runtime needs cgo"}
}

func ortVersion() string { return "" }

func newSession(name string, data []byte, opts RuntimeOptions) (Info, session, provider, error) {
	return Info{}, nil, provider{}, initEnvironment("")
}

// haveCgo says whether this build can load ONNX Runtime.
const haveCgo = false

func preloadCUDA(dir string) error { return initEnvironment("") }
