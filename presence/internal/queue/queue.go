// Package queue delivers values to a function, one call at a time, in the
// order they were pushed, on a goroutine of its own: the delivery of a
// presence Watch's diffs, shared by the memory and Redis trackers.
package queue

import "sync"

// Queue is an unbounded first-in first-out queue with a delivery goroutine.
// Push never blocks; the goroutine calls fn for each value in order, never
// concurrently, and exits after Stop.
type Queue[T any] struct {
	fn   func(T)
	mu   sync.Mutex
	buf  []T
	stop bool
	wake chan struct{} // capacity 1
}

// Start returns a queue whose goroutine calls fn.
func Start[T any](fn func(T)) *Queue[T] {
	q := &Queue[T]{fn: fn, wake: make(chan struct{}, 1)}
	go q.run()
	return q
}

// Push appends v; it does nothing after Stop.
func (q *Queue[T]) Push(v T) {
	q.mu.Lock()
	if q.stop {
		q.mu.Unlock()
		return
	}
	q.buf = append(q.buf, v)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// Stop discards what is queued and makes the goroutine exit once the call
// it is in, if any, returns. It does not wait (fn may call it). It reports
// whether this call stopped the queue.
func (q *Queue[T]) Stop() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stop {
		return false
	}
	q.stop = true
	q.buf = nil
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

func (q *Queue[T]) run() {
	var batch []T
	for {
		q.mu.Lock()
		for len(q.buf) == 0 && !q.stop {
			q.mu.Unlock()
			<-q.wake
			q.mu.Lock()
		}
		if q.stop {
			q.mu.Unlock()
			return
		}
		batch, q.buf = q.buf, batch[:0]
		q.mu.Unlock()
		for i, v := range batch {
			q.mu.Lock()
			stopped := q.stop
			q.mu.Unlock()
			if stopped {
				return
			}
			q.fn(v)
			var zero T
			batch[i] = zero
		}
		if cap(batch) > 1024 {
			batch = nil
		}
	}
}
