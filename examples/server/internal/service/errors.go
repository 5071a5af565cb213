package service

import (
	"errors"
	"fmt"
	"net/http"
)

// httpError is a failure with the status code and message the client gets.
type httpError struct {
	status  int
	msg     string
	details []string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, a ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, a...)}
}

// fail writes err: its own status when it is an *httpError, else 500 (logged; the client gets
// no internals).
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		if he.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		writeError(w, he.status, he.msg, he.details...)
		return
	}
	if p := storageProblem(err); p != "" {
		s.storage.note(err)
		s.log.Error("request failed: data folder", "request_id", requestID(r.Context()), "error", err)
		writeError(w, storageError(p).status, storageError(p).msg)
		return
	}
	s.log.Error("request failed", "request_id", requestID(r.Context()), "error", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// errDeadline is the cause of an operation's context when Config.OperationTimeout ends it.
var errDeadline = errors.New("the operation exceeded the server's deadline")

var errShuttingDown = &httpError{status: http.StatusServiceUnavailable, msg: "server is shutting down"}
