package estimators

import (
	"errors"
	"fmt"
)

// ErrUnavailable reports that ONNX Runtime cannot be used in this process: the binary was built
// without cgo, no library path was given, or the library failed to load. The error it comes
// wrapped in is an [*UnavailableError] that says which.
var ErrUnavailable = errors.New("estimators: ONNX Runtime unavailable")

// ErrBadModel reports a model whose inputs or outputs do not have the layout an estimator needs.
var ErrBadModel = errors.New("estimators: unsuitable model")

// ErrClosed reports use of a [Runtime] or [Model] after Close.
var ErrClosed = errors.New("estimators: closed")

// UnavailableError says why ONNX Runtime is unavailable. It matches [ErrUnavailable] with
// errors.Is.
type UnavailableError struct {
	// Library is the shared library path that was tried; empty when none was given.
	Library string
	// Reason is a sentence for people: what is missing and how to provide it.
	Reason string
	// Err is the underlying error, if any (a dlopen message, an API-version mismatch).
	Err error
}

func (e *UnavailableError) Error() string {
	msg := "estimators: ONNX Runtime unavailable: " + e.Reason
	if e.Library != "" {
		msg += fmt.Sprintf(" (library %q)", e.Library)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// Unwrap returns the underlying error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// ModelError describes why a model does not fit. It matches [ErrBadModel] with errors.Is.
type ModelError struct {
	// Model is the path, or "<bytes>" for a model given as bytes.
	Model string
	// Reason says what was expected and what the model has.
	Reason string
}

func (e *ModelError) Error() string {
	return fmt.Sprintf("estimators: unsuitable model %s: %s", e.Model, e.Reason)
}

// Is makes errors.Is(err, ErrBadModel) true.
func (e *ModelError) Is(target error) bool { return target == ErrBadModel }
