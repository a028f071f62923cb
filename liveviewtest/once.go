package liveviewtest

import (
	"slices"
	"time"

	"github.com/echo-liveview/liveview/internal/clientrules"
)

// Exactly-once events, as socket.js does them: every event with a ref has
// an id; sent, it stays pending until its answer; Reconnect sends the
// pending ones again first, with their ids; an answer with "once":
// "retry" keeps the event pending and sends it again a little later.

// retryDelay is how long the page waits before sending an event answered
// "retry" again (the client waits reconnectBaseMs).
const retryDelay = 20 * time.Millisecond

// keepPending adds e to the unanswered events. p.mu is held.
func (p *Page) keepPending(e *clientrules.Event) {
	p.lastID = e
	if !slices.Contains(p.unanswered, e) {
		p.unanswered = append(p.unanswered, e)
	}
}

// answered forgets the pending event of ref. p.mu is held.
func (p *Page) answered(ref int) {
	p.unanswered = slices.DeleteFunc(p.unanswered, func(e *clientrules.Event) bool { return e.Ref == ref })
}

// retryLater sends the pending event of ref again after retryDelay, on
// the same socket only, as socket.js does: a new socket sends every
// pending event itself, so at most one send of an id is in flight (two
// would both be answered, and replayed frames applied twice). p.mu is
// held.
func (p *Page) retryLater(ref int) {
	i := slices.IndexFunc(p.unanswered, func(e *clientrules.Event) bool { return e.Ref == ref })
	if i < 0 {
		return
	}
	e, ws := p.unanswered[i], p.ws
	time.AfterFunc(retryDelay, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.ws == ws && p.closedErr == nil && slices.Contains(p.unanswered, e) {
			if err := p.transmit([]*clientrules.Event{e}); err != nil {
				p.notes = append(p.notes, err.Error())
			}
		}
	})
}

// Resend sends the page's last event that had an id again, with the same
// id and ref, as the client does when the socket dropped after the event
// was written and before its answer arrived, and waits for the answer: the
// server runs the id once, so the handler does not run again and the
// answer is the first run's frames again (Once then reports "replayed"),
// or {"ref", "once": "processed"}. It fails the test when the page sent no
// event with an id.
func (p *Page) Resend() {
	p.t.Helper()
	p.mu.Lock()
	e := p.lastID
	if e == nil || p.ws == nil {
		p.mu.Unlock()
		p.fatalf("Resend(): the page sent no event with an id")
	}
	p.keepPending(e)
	err := p.transmit([]*clientrules.Event{e})
	p.mu.Unlock()
	if err != nil {
		p.fatalf("Resend(): %v", err)
	}
	p.awaitAnswers("Resend()")
}

// Once returns the "once" keys of the answers the page received, in order:
// "replayed", "processed" or "retry" for each answer to a duplicate event
// id (see the liveview package's exactly-once events).
func (p *Page) Once() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.onces)
}

// Pending returns the ids of the events the page sent and has no answer
// to yet (the client keeps them in sessionStorage).
func (p *Page) Pending() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, len(p.unanswered))
	for i, e := range p.unanswered {
		ids[i] = e.ID
	}
	return ids
}
