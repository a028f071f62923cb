package liveview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// ErrBadStream wraps every reason a Stream cannot be sent: an empty
// Target, an item without a valid ID, an insert without HTML (or without
// any tag in it), both Before and After, an unknown At, a negative Limit.
// Nothing is sent; the error names the item. (HTML whose only tags are
// comments passes, and the client logs that the item has no element.)
var ErrBadStream = errors.New("liveview: bad stream")

// Stream is the additive "stream" frame key: keyed updates of a list whose
// items the server does not keep. The client finds the container Target,
// applies Items in order, each by the DOM id of a child element, then
// trims to Limit:
//
//	{"stream": {"target": "#rows", "items": [
//	    {"id": "row-5", "html": "<tr>…</tr>", "at": "start"},
//	    {"id": "row-9", "html": "<tr>…</tr>", "before": "row-2"},
//	    {"id": "row-3", "delete": true}],
//	  "limit": 100, "reset": false}}
//
// Send one with Context.SendStream (or Context.StreamInsert and
// Context.StreamDelete for one item), or put it in Message.Stream for
// Publish and Broadcast. Item Contents are rendered when the Message is
// sent, once per send (see Message.Content). A Stream is read, never
// changed, by the sends; the same value may be sent again.
//
// An upstream (Django LiveView) client ignores the key. See the README's
// "Streams" recipe.
type Stream struct {
	// Target is the CSS selector of the container (the first match). The
	// client logs an error and ignores the frame's stream when nothing
	// matches. Required.
	Target string `json:"target"`
	// Items are applied in order. Nil or empty: only Reset and Limit.
	Items []StreamItem `json:"items"`
	// Limit, when > 0, trims the container to at most Limit element
	// children after the items, from the end opposite to the frame's last
	// insert: after an insert at the start the last children go, after an
	// insert at the end, before or after an item (or when the frame
	// inserted nothing) the first ones. 0 keeps everything; negative is an
	// error.
	Limit int `json:"limit,omitempty"`
	// Reset empties the container before the items: the way to replace a
	// whole list.
	Reset bool `json:"reset,omitempty"`
}

// StreamItem is one item of a Stream: an insert, an update or a delete of
// the container's child element whose id is ID.
//
// An insert whose ID is already a child's updates that child in place
// (idiomorph, as Message.Morph: focus, caret and typed values survive) and
// leaves it where it is; otherwise the item goes before the child Before,
// after the child After, or, when neither is set or names no child, at
// At (the end by default).
type StreamItem struct {
	// ID is the item element's DOM id: required, without spaces or
	// control characters (see the README's "Streams" recipe).
	ID string `json:"id"`
	// HTML is the item: its first element is inserted (anything after it
	// is dropped) and gets ID as its id. Classic inline scripts inside it
	// run once, with el and this bound to the item.
	HTML string `json:"html,omitempty"`
	// Content, when not nil, is rendered when the Message is sent and
	// becomes HTML, as Message.Content (set one of HTML and Content).
	Content Component `json:"-"`
	// At is where a new item goes when Before and After name no child:
	// StreamEnd ("" is the same) or StreamStart.
	At StreamAt `json:"at,omitempty"`
	// Before and After (at most one) put a new item next to the child
	// with that id; when there is none, At applies.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Delete removes the child with id ID (nothing when there is none).
	// A delete has no HTML, Content or position.
	Delete bool `json:"delete,omitempty"`
}

// StreamAt is the end of the container a new stream item goes to.
type StreamAt string

// The values of StreamItem.At; "" is StreamEnd.
const (
	StreamEnd   StreamAt = "end"
	StreamStart StreamAt = "start"
)

// StreamOption changes the Stream that StreamInsert builds: where its item
// goes (StreamAtStart, StreamBefore, StreamAfter) and the list's limit
// (StreamLimit). A nil option is ignored.
type StreamOption func(*Stream)

// StreamAtStart puts a new item at the start of the container.
func StreamAtStart() StreamOption { return func(s *Stream) { s.last().At = StreamStart } }

// StreamBefore puts a new item before the item with DOM id id (at the end
// when there is none).
func StreamBefore(id string) StreamOption { return func(s *Stream) { s.last().Before = id } }

// StreamAfter puts a new item after the item with DOM id id (at the end
// when there is none).
func StreamAfter(id string) StreamOption { return func(s *Stream) { s.last().After = id } }

// StreamLimit keeps at most n items in the container after the insert
// (see Stream.Limit): with StreamAtStart the oldest at the end go,
// otherwise those at the start.
func StreamLimit(n int) StreamOption { return func(s *Stream) { s.Limit = n } }

// last returns the Stream's last item, adding one to an empty Stream.
func (s *Stream) last() *StreamItem {
	if len(s.Items) == 0 {
		s.Items = append(s.Items, StreamItem{})
	}
	return &s.Items[len(s.Items)-1]
}

// StreamInsert returns a Message whose stream inserts the template name
// rendered with data (when the Message is sent, like Render) as the item
// id of target, or updates that item in place when the page has it:
//
//	return c.Publish(room, liveview.StreamInsert("#messages", "msg-"+id, "message.html", m, liveview.StreamLimit(100)))
func StreamInsert(target, id, name string, data any, opts ...StreamOption) Message {
	s := &Stream{Target: target, Items: []StreamItem{{ID: id, Content: Template(name, data)}}}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return Message{Stream: s}
}

// StreamDelete returns a Message whose stream deletes the item id of
// target.
func StreamDelete(target, id string) Message {
	return Message{Stream: &Stream{Target: target, Items: []StreamItem{{ID: id, Delete: true}}}}
}

// SendStream sends s to this connection (see Send), its item Contents
// rendered first in the event's locale. An invalid s returns an error
// wrapping ErrBadStream and nothing is sent.
func (c *Context) SendStream(s Stream) error { return c.Send(Message{Stream: &s}) }

// StreamInsert renders the template name with data, as Render does, and
// sends it as the stream item id of target: inserted where opts say (the
// end by default), or, when the page has an item with that id, updated in
// place. See Stream.
func (c *Context) StreamInsert(target, id, name string, data any, opts ...StreamOption) error {
	return c.Send(StreamInsert(target, id, name, data, opts...))
}

// StreamDelete removes the stream item id (a child of target with that
// DOM id) from the page.
func (c *Context) StreamDelete(target, id string) error {
	return c.Send(StreamDelete(target, id))
}

// validate checks s before anything is rendered or sent; rendered tells
// that the Contents have become HTML.
func (s *Stream) validate(rendered bool) error {
	if s.Target == "" {
		return fmt.Errorf("%w: empty Target", ErrBadStream)
	}
	if s.Limit < 0 {
		return fmt.Errorf("%w: negative Limit %d", ErrBadStream, s.Limit)
	}
	for i := range s.Items {
		if why := s.Items[i].problem(rendered); why != "" {
			return fmt.Errorf("%w: item %d (ID %q): %s", ErrBadStream, i, clip(s.Items[i].ID, 64), why)
		}
	}
	return nil
}

// problem says what is wrong with it, "" when nothing.
func (it *StreamItem) problem(rendered bool) string {
	if it.ID == "" {
		return "empty ID"
	}
	if why := badID(it.ID); why != "" {
		return "the ID " + why
	}
	if it.Delete {
		if it.HTML != "" || it.Content != nil || it.At != "" || it.Before != "" || it.After != "" {
			return "a Delete has no HTML, Content, At, Before or After"
		}
		return ""
	}
	switch {
	case it.HTML != "" && it.Content != nil:
		return "both HTML and Content; set one"
	case it.Before != "" && it.After != "":
		return "both Before and After; set one"
	case it.At != "" && it.At != StreamStart && it.At != StreamEnd:
		return fmt.Sprintf("At %q is neither %q nor %q", clip(string(it.At), 64), StreamStart, StreamEnd)
	case it.Content != nil && !rendered:
		// checked once rendered
	case it.HTML == "":
		return "no HTML (an insert needs HTML or Content; a removal, Delete)"
	case strings.IndexByte(it.HTML, '<') < 0:
		return fmt.Sprintf("the HTML has no element (no tag): %q", clip(it.HTML, 64))
	}
	for _, ref := range [...]struct{ name, id string }{{"Before", it.Before}, {"After", it.After}} {
		if ref.id == "" {
			continue
		}
		if why := badID(ref.id); why != "" {
			return fmt.Sprintf("%s %q %s", ref.name, clip(ref.id, 64), why)
		}
	}
	return ""
}

// badID says why id cannot be a stream item's DOM id, "" when it can: an
// id holds no ASCII whitespace (HTML's rule), and a frame's ids no control
// characters or invalid UTF-8 either.
func badID(id string) string {
	if !utf8.ValidString(id) {
		return "is not valid UTF-8"
	}
	for _, r := range id {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r':
			return "has a space"
		case r < 0x20 || r == 0x7f:
			return "has a control character"
		}
	}
	return ""
}

// hasContent reports whether an item of s has a Content to render.
func (s *Stream) hasContent() bool {
	for i := range s.Items {
		if s.Items[i].Content != nil {
			return true
		}
	}
	return false
}

// rendered returns s with its item Contents rendered into HTML, as a
// copy (s is never changed) whose HTML strings alias the returned buffer:
// encode the copy, then give the buffer back with putBuffer. Without a
// Content it returns s and a nil buffer. Every item renders into the same
// buffer, one after the other. A nil env (MarshalJSON) renders with ctx
// as is. A nil s gives nil.
func (s *Stream) rendered(ctx context.Context, env *renderEnv) (*Stream, *bytes.Buffer, error) {
	if s == nil || !s.hasContent() {
		return s, nil, nil
	}
	if err := s.validate(false); err != nil {
		return nil, nil, err // before rendering anything
	}
	buf := getBuffer()
	ends := make([]int, len(s.Items)) // where each item's HTML ends in buf
	for i := range s.Items {
		if comp := s.Items[i].Content; comp != nil {
			if err := renderInto(ctx, env, comp, buf); err != nil {
				putBuffer(buf)
				return nil, nil, fmt.Errorf("liveview: stream item %q: %w", clip(s.Items[i].ID, 64), err)
			}
		}
		ends[i] = buf.Len()
	}
	r := *s
	r.Items = make([]StreamItem, len(s.Items))
	copy(r.Items, s.Items)
	all, start := buf.Bytes(), 0
	for i := range r.Items {
		if r.Items[i].Content != nil {
			r.Items[i].Content = nil
			if ends[i] > start {
				r.Items[i].HTML = unsafe.String(&all[start], ends[i]-start)
			}
		}
		start = ends[i]
	}
	return &r, buf, nil
}

// appendJSON appends s as the value of the "stream" key, after checking
// it (every Content must have been rendered).
func (s *Stream) appendJSON(b []byte) ([]byte, error) {
	for i := range s.Items {
		if s.Items[i].Content != nil {
			return nil, errors.New("liveview: StreamItem.Content was not rendered") // every send renders it first
		}
	}
	if err := s.validate(true); err != nil {
		return nil, err
	}
	b = append(b, `{"target":`...)
	b = appendString(b, s.Target)
	b = append(b, `,"items":[`...)
	for i := range s.Items {
		it := &s.Items[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendString(b, it.ID)
		if it.Delete {
			b = append(b, `,"delete":true}`...)
			continue
		}
		b = append(b, `,"html":`...)
		b = appendString(b, it.HTML)
		for _, kv := range [...]struct{ k, v string }{{"at", string(it.At)}, {"before", it.Before}, {"after", it.After}} {
			if kv.v != "" {
				b = append(b, `,"`...)
				b = append(b, kv.k...)
				b = append(b, `":`...)
				b = appendString(b, kv.v)
			}
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	if s.Limit > 0 {
		b = append(b, `,"limit":`...)
		b = strconv.AppendInt(b, int64(s.Limit), 10)
	}
	if s.Reset {
		b = append(b, `,"reset":true`...)
	}
	return append(b, '}'), nil
}

// streamSize estimates the encoded size of m's stream, for the frame's
// first allocation.
func streamSize(s *Stream) int {
	if s == nil {
		return 0
	}
	n := 64 + len(s.Target)
	for i := range s.Items {
		n += 48 + len(s.Items[i].ID) + len(s.Items[i].HTML) + len(s.Items[i].Before) + len(s.Items[i].After)
	}
	return n
}
