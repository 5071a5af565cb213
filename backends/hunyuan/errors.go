package hunyuan

import (
	"errors"
	"fmt"

	"github.com/orfeas3d/orfeas/backends"
)

var (
	// ErrUnreachable is wrapped when the server cannot be reached (refused, reset, DNS, a body
	// cut short) after the retries. It also wraps backends.ErrUnavailable.
	ErrUnreachable = fmt.Errorf("hunyuan: server unreachable: %w", backends.ErrUnavailable)
	// ErrTimeout is wrapped when Options.Timeout (or a send/status job's deadline) passes before
	// the model arrives, or Options.HeaderTimeout before an answer's headers. The error wraps
	// context.DeadlineExceeded too.
	ErrTimeout = errors.New("hunyuan: timed out")
	// ErrInvalidModel is wrapped when the server's answer is not a usable model: not a GLB, a
	// GLB the decoder rejects, no faces, or a mesh that cannot be made into a solid.
	ErrInvalidModel = errors.New("hunyuan: invalid model")
	// ErrTooLarge is wrapped when the answer is longer than Options.MaxResponseBytes (claimed or
	// read).
	ErrTooLarge = errors.New("hunyuan: response too large")
)

// ServerError is the server's own refusal: Hunyuan3D-2's api_server answers every failure
// (bad input, CUDA error, anything) with HTTP 404 and {"text": message, "error_code": 1}; other
// statuses (5xx after the retries, 4xx) come here too, with the body's first bytes as Text.
type ServerError struct {
	// Status is the HTTP status code.
	Status int
	// Text is the server's message.
	Text string
	// Code is the server's error_code (0 when the body had none).
	Code int
}

// Error returns "hunyuan: server error 404 (code 1): message".
func (e *ServerError) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("hunyuan: server error %d (code %d): %s", e.Status, e.Code, e.Text)
	}
	return fmt.Sprintf("hunyuan: server error %d: %s", e.Status, e.Text)
}

// temporary reports whether a retry may help: a 5xx answer.
func (e *ServerError) temporary() bool { return e.Status >= 500 }
