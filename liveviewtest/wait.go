package liveviewtest

import (
	"fmt"
	"time"

	"github.com/echo-liveview/liveview/internal/clientrules"
)

// Waiting for frames that come on their own (a Publish from another page, a
// Broadcast, a handler's goroutine). Actions need no waiting: they return
// once their events are answered.

// WaitFor waits until an element matches selector, for frames that come
// on their own (a Publish from another page, a handler's goroutine). It
// fails the test when the timeout passes or the socket closes first.
func (p *Page) WaitFor(selector string) {
	p.t.Helper()
	m, err := clientrules.Compile(selector)
	if err != nil {
		p.fatalf("WaitFor: invalid selector %q: %v", selector, err)
	}
	p.wait(fmt.Sprintf("WaitFor(%q)", selector), func() (bool, string) {
		return clientrules.Query(p.c.Doc(), m) != nil, "nothing matches"
	})
}

// WaitText waits until the first element matching selector has the Text
// text. It fails the test, showing the text it has, when the timeout
// passes or the socket closes first.
func (p *Page) WaitText(selector, text string) {
	p.t.Helper()
	m, err := clientrules.Compile(selector)
	if err != nil {
		p.fatalf("WaitText: invalid selector %q: %v", selector, err)
	}
	p.wait(fmt.Sprintf("WaitText(%q, %q)", selector, text), func() (bool, string) {
		n := clientrules.Query(p.c.Doc(), m)
		if n == nil {
			return false, "nothing matches"
		}
		got := clientrules.CollapseSpace(clientrules.TextContent(n))
		return got == text, fmt.Sprintf("its text is %q", got)
	})
}

// Wait waits until cond returns true. cond is called on the test's
// goroutine after each frame (and once at first) and may call the Page's
// accessors; what names the condition in the failure message.
func (p *Page) Wait(what string, cond func() bool) {
	p.t.Helper()
	for {
		p.mu.Lock()
		ch, closed := p.changed, p.closedErr
		p.mu.Unlock()
		if cond() {
			return
		}
		if closed != nil {
			p.fatalf("Wait(%q): the WebSocket closed: %v", what, closed)
		}
		if !p.await(ch) {
			p.fatalf("Wait(%q): not true within %v", what, p.timeout)
		}
	}
}

// wait is Wait with cond evaluated under p.mu; cond also says what it saw.
func (p *Page) wait(call string, cond func() (bool, string)) {
	p.t.Helper()
	timer := time.NewTimer(p.timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		ok, saw := cond()
		ch, closed := p.changed, p.closedErr
		p.mu.Unlock()
		switch {
		case ok:
			return
		case closed != nil:
			p.fatalf("%s: the WebSocket closed (%v) and %s", call, closed, saw)
		}
		select {
		case <-ch:
		case <-timer.C:
			p.fatalf("%s: not within %v: %s", call, p.timeout, saw)
		}
	}
}

// await waits for the next change, false after the timeout.
func (p *Page) await(ch chan struct{}) bool {
	t := time.NewTimer(p.timeout)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
