package service

import (
	"math"
	"net"
	"sync"
	"time"
)

// rateLimiter is a token bucket per client: each holds up to limit tokens, refilled at limit per
// window, and a request takes one.
type rateLimiter struct {
	capacity float64
	perSec   float64

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(limit int, window time.Duration) *rateLimiter {
	return &rateLimiter{
		capacity: float64(limit),
		perSec:   float64(limit) / window.Seconds(),
		buckets:  make(map[string]*bucket),
	}
}

// allow takes a token from client's bucket. When none is left it returns false and how long
// until one is.
func (l *rateLimiter) allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		b = &bucket{tokens: l.capacity, last: now}
		l.buckets[client] = b
	} else if now.After(b.last) {
		b.tokens = math.Min(l.capacity, b.tokens+now.Sub(b.last).Seconds()*l.perSec)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.perSec * float64(time.Second))
	return false, wait
}

// sweep drops the buckets that have refilled completely: they hold no state worth keeping.
func (l *rateLimiter) sweep(now time.Time) {
	full := time.Duration(l.capacity / l.perSec * float64(time.Second))
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, b := range l.buckets {
		if now.Sub(b.last) >= full {
			delete(l.buckets, k)
		}
	}
}

// rateExempt reports whether requests from client IP ip skip the rate limit: loopback ones,
// unless Config.RateLimitLoopback is set.
func (s *Service) rateExempt(ip string) bool {
	if s.cfg.RateLimitLoopback {
		return false
	}
	a := net.ParseIP(ip)
	return a != nil && a.IsLoopback()
}
