// Package par runs loops on several goroutines with results that do not depend on how many.
package par

import (
	"sync"
	"sync/atomic"
)

// For calls f(0) … f(n−1) on up to workers goroutines, all finished on return, handing out the
// indices in order. Each call must write only its own part of the output, so the result does not
// depend on the split.
func For(n, workers int, f func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}
