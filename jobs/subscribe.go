package jobs

import "fmt"

// EventKind says what changed.
type EventKind uint8

// The kinds of event.
const (
	// StateEvent: the job entered Snapshot.State. The first event of every
	// subscription is a StateEvent with the state at Subscribe time, and
	// the last is a StateEvent with a terminal state.
	StateEvent EventKind = iota + 1
	// ProgressEvent: the running job reported progress.
	ProgressEvent
)

// String returns "state" or "progress".
func (k EventKind) String() string {
	switch k {
	case StateEvent:
		return "state"
	case ProgressEvent:
		return "progress"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one change of one job, with the job's snapshot after it.
type Event[T any] struct {
	Kind EventKind
	Job  Snapshot[T]
}

// subBuffer is the capacity of a subscription channel. Three slots are
// always kept for the state events still to come (at most: the state at
// subscription, running, terminal); the rest hold progress.
const subBuffer = 8

// subscriber is one subscription. Its channel is written only by the
// registry with r.mu held, so len(ch) can only shrink behind our back and a
// send that fits under the reservation never blocks.
type subscriber[T any] struct {
	ch      chan Event[T]
	reserve int // state events that may still come
	closed  bool
}

// Subscribe delivers the job's changes to the returned channel, in order:
// first its state now, then each state change and progress report, ending
// with the terminal state, after which the channel is closed. Sends never
// block the work: when the subscriber lags, progress reports are
// coalesced (the ones that do not fit are dropped, and every later event
// carries the latest progress), but state events, the terminal one
// included, are never dropped. The returned function unsubscribes: it
// closes the channel (if still open) and frees the subscription; it is
// safe to call more than once. For a finished job, the channel holds the
// terminal event and is closed. An unknown ID gives ErrNotFound.
func (r *Registry[T]) Subscribe(id string) (<-chan Event[T], func(), error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j := r.jobs[id]
	if j == nil {
		return nil, nil, fmt.Errorf("subscribe %q: %w", id, ErrNotFound)
	}
	ev := Event[T]{Kind: StateEvent, Job: j.snapshot()}
	if j.state.Terminal() {
		ch := make(chan Event[T], 1)
		ch <- ev
		close(ch)
		return ch, func() {}, nil
	}
	s := &subscriber[T]{ch: make(chan Event[T], subBuffer), reserve: 1}
	if j.state == Queued {
		s.reserve = 2
	}
	s.ch <- ev
	j.subs = append(j.subs, s)
	return s.ch, func() { r.unsubscribe(j, s) }, nil
}

func (r *Registry[T]) unsubscribe(j *job[T], s *subscriber[T]) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	if i := indexOf(j.subs, s); i >= 0 {
		last := len(j.subs) - 1
		j.subs[i] = j.subs[last]
		j.subs[last] = nil
		j.subs = j.subs[:last]
	}
}

func indexOf[T any](subs []*subscriber[T], s *subscriber[T]) int {
	for i, x := range subs {
		if x == s {
			return i
		}
	}
	return -1
}

// notifyState sends the job's new state to its subscribers; a terminal
// state closes and drops them. Called with r.mu held.
func (r *Registry[T]) notifyState(j *job[T]) {
	if len(j.subs) == 0 {
		return
	}
	ev := Event[T]{Kind: StateEvent, Job: j.snapshot()}
	terminal := j.state.Terminal()
	for _, s := range j.subs {
		s.reserve--
		select {
		case s.ch <- ev:
		default: // unreachable: the reservation keeps a slot free
		}
		if terminal {
			s.closed = true
			close(s.ch)
		}
	}
	if terminal {
		clear(j.subs)
		j.subs = nil
	}
}

// notifyProgress sends the job's latest progress to each subscriber with a
// free unreserved slot. Called with r.mu held.
func (r *Registry[T]) notifyProgress(j *job[T]) {
	ev := Event[T]{Kind: ProgressEvent, Job: j.snapshot()}
	for _, s := range j.subs {
		if len(s.ch) >= cap(s.ch)-s.reserve {
			continue // coalesced: a later event carries newer progress
		}
		select {
		case s.ch <- ev:
		default:
		}
	}
}
