package liveviewtest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"mime"
	"path"
	"slices"
	"sort"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/net/html"

	"github.com/echo-liveview/liveview/internal/clientrules"
)

// File is a file a test chooses in a file input (Page.SetFiles).
type File struct {
	// Name is the file's name, as the browser's File.name ("photo.png").
	Name string
	// Type is its MIME type as the browser reports it; "" takes the type
	// of Name's extension (mime.TypeByExtension, without parameters), as
	// browsers do, or none.
	Type string
	// Content is the file's bytes.
	Content []byte
}

// UploadError is an upload the server refused: its upload error frame,
// which the page shows in its data-liveview-upload-error elements.
type UploadError struct {
	// Field is the name of the file input whose file was refused, "" when
	// the whole upload was (too many files, too many uploads at once, a
	// function that takes none).
	Field string
	// Name is the refused file's name, "" likewise.
	Name string
	// Message is the server's text, translated, as the page shows it:
	// "photo.png is larger than 10 MB."
	Message string
}

// SetFiles chooses files in the file input matching selector, as a person
// does in the browser's file dialog (replacing what it had; no files
// clears it): the focus moves to it, then input and change fire, so a
// data-action="change->page#run" on it sends its event at once. The files
// travel when an event collects the input (a Submit of its form, a Click
// on a button next to it): as the bundled client does, the page first
// announces them, sends them in chunks over the page's WebSocket (at most
// 4 unacknowledged), and sends the event, with the "upload" key, once the
// server has acknowledged every byte; the action waits for all of it. A
// refused upload sends no event: see UploadErrors. The form value of a
// file input is its file's name (a list of names for <input multiple>).
// It fails the test when nothing matches, the element is not an <input
// type="file">, is disabled, or gets several files without multiple.
func (p *Page) SetFiles(selector string, files ...File) {
	p.t.Helper()
	chosen := make([]clientrules.File, len(files))
	for i, f := range files {
		typ := f.Type
		if typ == "" {
			typ, _, _ = mime.ParseMediaType(mime.TypeByExtension(path.Ext(f.Name)))
		}
		chosen[i] = clientrules.File{Name: f.Name, Type: typ, Content: f.Content}
	}
	p.gesture(fmt.Sprintf("SetFiles(%q, %d files)", selector, len(files)), selector, "change", func(el *html.Node) (*clientrules.Outcome, error) {
		return p.c.SetFiles(el, chosen)
	})
}

// UploadErrors returns the uploads the server refused, in order (a refused
// upload's event is not sent, so its handler does not run; its trigger's
// loading state ends). Each is logged with t.Logf too.
func (p *Page) UploadErrors() []UploadError {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]UploadError(nil), p.uploadErrs...)
}

// uploadWindow is the bundled client's flow control: the chunks it keeps
// unacknowledged per connection, so an event is never stuck behind
// megabytes of file data.
const uploadWindow = 4

// pageUpload is an event's upload in progress.
type pageUpload struct {
	id       int
	event    *clientrules.Event
	chunk    int // the server's chunk size; 0 until accepted
	file     int // the next file to send
	off      int // the next offset in it
	acked    []int64
	inFlight int // its chunks sent, not acknowledged
}

// startUpload announces the files of e, which is sent once they have all
// arrived. p.mu is held.
func (p *Page) startUpload(e *clientrules.Event) error {
	p.uploadIDs++
	u := &pageUpload{id: p.uploadIDs, event: e, acked: make([]int64, len(e.Files))}
	p.uploads[u.id] = u
	p.outstanding[e.Ref] = true
	type wireFile struct {
		Field string `json:"field"`
		Name  string `json:"name"`
		Size  int    `json:"size"`
		Type  string `json:"type"`
	}
	files := make([]wireFile, len(e.Files))
	fields := make([]string, 0, len(e.Files))
	for i, f := range e.Files {
		files[i] = wireFile{f.Field, f.Name, len(f.Content), f.Type}
		if i == 0 || f.Field != e.Files[i-1].Field {
			fields = append(fields, f.Field)
		}
	}
	p.c.UploadStarted(fields)
	// lang, as the browser's announce: the language of the refusals.
	b, err := json.Marshal(map[string]any{"upload": map[string]any{"id": u.id, "function": e.Function, "files": files, "lang": e.Lang}})
	if err != nil {
		return err
	}
	return p.write(websocket.TextMessage, b)
}

// onUpload handles a frame's "upload" object: an announce accepted, a
// chunk acknowledged, a refusal. p.mu is held.
func (p *Page) onUpload(raw json.RawMessage) {
	var m struct {
		ID       int     `json:"id"`
		Chunk    int     `json:"chunk"`
		File     *int    `json:"file"`
		Received *int64  `json:"received"`
		Error    *string `json:"error"`
		Field    *string `json:"field"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		p.notes = append(p.notes, fmt.Sprintf("LiveView: invalid upload frame %s", raw))
		return
	}
	u := p.uploads[m.ID]
	if u == nil {
		return // an upload of an earlier socket
	}
	switch {
	case m.Error != nil:
		p.refused(u, m.Field, m.File, *m.Error)
	case m.Chunk > 0 && u.chunk == 0:
		u.chunk = m.Chunk
		for _, f := range u.event.Files {
			if len(f.Content) == 0 { // no chunk to acknowledge: arrived
				p.c.UploadProgress(f, 0)
			}
		}
	case m.Received != nil && m.File != nil && *m.File >= 0 && *m.File < len(u.acked):
		f := u.event.Files[*m.File]
		u.acked[*m.File] = *m.Received
		u.inFlight--
		p.unacked--
		p.c.UploadProgress(f, *m.Received)
	default:
		p.notes = append(p.notes, fmt.Sprintf("LiveView: unexpected upload frame %s", raw))
		return
	}
	if err := p.pump(); err != nil {
		p.notes = append(p.notes, err.Error())
	}
}

// refused ends u: no event, its trigger's loading state over, the message
// in the page.
func (p *Page) refused(u *pageUpload, field *string, file *int, message string) {
	delete(p.uploads, u.id)
	p.unacked -= u.inFlight
	ue := UploadError{Message: message}
	var fields []string
	if field != nil {
		ue.Field = *field
		fields = []string{*field}
		if file != nil && *file >= 0 && *file < len(u.event.Files) {
			ue.Name = u.event.Files[*file].Name
		}
	} else {
		for _, f := range u.event.Files {
			if !slices.Contains(fields, f.Field) {
				fields = append(fields, f.Field)
			}
		}
	}
	p.uploadErrs = append(p.uploadErrs, ue)
	p.c.UploadRefused(u.event.Ref, fields, message)
	delete(p.outstanding, u.event.Ref)
}

// pump sends chunks of the accepted uploads, oldest first, while fewer
// than uploadWindow are unacknowledged, and the event of every upload
// that has arrived complete. p.mu is held.
func (p *Page) pump() error {
	ids := make([]int, 0, len(p.uploads))
	for id := range p.uploads {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		u := p.uploads[id]
		if u.chunk == 0 {
			continue
		}
		for p.unacked < uploadWindow && u.file < len(u.event.Files) {
			data := u.event.Files[u.file].Content
			if u.off >= len(data) {
				u.file, u.off = u.file+1, 0
				continue
			}
			n := min(u.chunk, len(data)-u.off)
			frame := make([]byte, 0, 15+n)
			frame = append(frame, 1)
			frame = binary.BigEndian.AppendUint32(frame, uint32(u.id))
			frame = binary.BigEndian.AppendUint16(frame, uint16(u.file))
			frame = binary.BigEndian.AppendUint64(frame, uint64(u.off))
			frame = append(frame, data[u.off:u.off+n]...)
			if err := p.write(websocket.BinaryMessage, frame); err != nil {
				return err
			}
			u.off += n
			u.inFlight++
			p.unacked++
		}
		if complete(u) {
			delete(p.uploads, u.id)
			u.event.Upload = u.id
			b := u.event.JSON()
			p.sent = append(p.sent, json.RawMessage(b))
			if err := p.write(websocket.TextMessage, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// complete reports whether every file of an accepted u was acknowledged
// whole.
func complete(u *pageUpload) bool {
	if u.chunk == 0 {
		return false
	}
	for i, f := range u.event.Files {
		if u.acked[i] != int64(len(f.Content)) {
			return false
		}
	}
	return true
}

// restartUploads starts the uploads in progress again on a new socket, as
// the client does after a reconnect: new ids, from the first byte. p.mu
// is held.
func (p *Page) restartUploads() error {
	ids := make([]int, 0, len(p.uploads))
	for id := range p.uploads {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	pending := p.uploads
	p.uploads, p.unacked = map[int]*pageUpload{}, 0
	for _, id := range ids {
		p.notes = append(p.notes, fmt.Sprintf("LiveView: upload %d restarts after the reconnect (liveview:upload-restart)", id))
		if err := p.startUpload(pending[id].event); err != nil {
			return err
		}
	}
	return nil
}

// write sends one frame on the page's socket. p.mu is held.
func (p *Page) write(typ int, b []byte) error {
	_ = p.ws.SetWriteDeadline(time.Now().Add(p.timeout))
	if err := p.ws.WriteMessage(typ, b); err != nil {
		what := clip(string(b), 200)
		if typ == websocket.BinaryMessage {
			what = fmt.Sprintf("a chunk of %d bytes", len(b))
		}
		return fmt.Errorf("liveviewtest: sending %s: %w", what, err)
	}
	return nil
}
