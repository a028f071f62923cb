package liveview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/olahol/melody"
)

// File uploads over the page's WebSocket (wire format: the package's
// # Additive keys; limits: UploadConfig).
//
// A page announces an upload in a text frame; the Hub checks it against
// the limits and accepts it (telling the chunk size) or refuses it. The
// client then sends the files in binary chunks, in order; the Hub writes
// each chunk to the file's temporary file and acknowledges it. The event
// comes last, naming the upload: its handler runs only when every file
// arrived complete, and the temporary files are deleted when it returns.
// Everything runs on the connection's read goroutine, between its events.

// File is one file an event brought: what an <input type="file"> of the
// page sent, written to a temporary file in UploadConfig.Dir. Get it with
// Context.FormFile or FormFiles, or through a Bind field of type *File or
// []*File.
//
// The temporary file is deleted when the handler returns: keep it with
// MoveTo, or Open it before returning (an open file stays readable after
// it is deleted, on Unix). Its methods are safe for concurrent use.
type File struct {
	// Field is the name of the file input ("avatar").
	Field string
	// Name is the file's name as the browser gave it (a base name, never a
	// path: names with "/" or control characters are refused). It is the
	// user's: never use it as a path on the server without checking it.
	Name string
	// ContentType is the MIME type the browser announced, from the file's
	// extension ("image/png"), "" when it had none. The first bytes were
	// checked against UploadConfig.Accept, but the type stays the
	// client's claim.
	ContentType string
	// Size is the file's size in bytes, as received (0 is allowed).
	Size int64

	st *fileState
}

// fileState is a File's temporary file.
type fileState struct {
	mu   sync.Mutex
	path string // "" until created
	kept bool   // moved by MoveTo: not deleted
	gone bool   // deleted
}

// Open opens the file for reading. It returns an error wrapping ErrNoFile
// once the temporary file was deleted (after the handler returned). The
// caller closes it.
func (f *File) Open() (*os.File, error) {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	if f.st.gone || f.st.path == "" {
		return nil, fmt.Errorf("liveview: open %q: %w: its temporary file was deleted when the handler returned", f.Name, ErrNoFile)
	}
	return os.Open(f.st.path)
}

// MoveTo keeps the file at dst (a path on the server, replaced if it
// exists): a rename, or a copy and a delete when dst is on another
// filesystem than UploadConfig.Dir. It is then no longer deleted, keeps
// mode 0600, and Open opens it at dst. It returns an error wrapping
// ErrNoFile once the temporary file was deleted (after the handler
// returned), and the error of the rename or copy, the file unchanged.
func (f *File) MoveTo(dst string) error {
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	if f.st.gone || f.st.path == "" {
		return fmt.Errorf("liveview: MoveTo %q: %w: its temporary file was deleted when the handler returned", f.Name, ErrNoFile)
	}
	if err := os.Rename(f.st.path, dst); err != nil {
		var le *os.LinkError
		if !errors.As(err, &le) {
			return fmt.Errorf("liveview: MoveTo: %w", err)
		}
		// Perhaps another filesystem: copy, then delete.
		if cerr := copyFile(f.st.path, dst); cerr != nil {
			return fmt.Errorf("liveview: MoveTo: %w (then copying: %w)", err, cerr)
		}
		_ = os.Remove(f.st.path)
	}
	f.st.path, f.st.kept = dst, true
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return err
	}
	return out.Close()
}

// FormFile returns the first file of the file input field that the event
// brought, or an error wrapping ErrNoFile when it brought none (the input
// had no file, or the field name is wrong). For <input multiple>, see
// FormFiles.
func (c *Context) FormFile(field string) (*File, error) {
	if u := c.upload; u != nil {
		for _, f := range u.files {
			if f.Field == field {
				return &f.File, nil
			}
		}
	}
	return nil, fmt.Errorf("liveview: FormFile(%q): %w", field, ErrNoFile)
}

// FormFiles returns the files of the file input field that the event
// brought, in the order the user chose them; nil when none.
func (c *Context) FormFiles(field string) []*File {
	var out []*File
	if u := c.upload; u != nil {
		for _, f := range u.files {
			if f.Field == field {
				out = append(out, &f.File)
			}
		}
	}
	return out
}

// upload is one announced upload of a connection.
type upload struct {
	id       uint32
	function string
	lang     string // the announce's lang, for messages
	files    []*upFile
	cur      int // the file the next chunk is for; len(files) once complete
	chunk    int // the largest data of a chunk
	conn     *conn
}

// upFile is a File on its way.
type upFile struct {
	File
	w        *os.File // open while its chunks arrive
	received int64
	accept   []acceptRule // the Accept entries it matched; nil: any type
	sniff    []byte       // the first bytes, until checked against accept
	checked  bool
}

// done reports whether every file arrived complete.
func (u *upload) done() bool { return u.cur == len(u.files) }

// release closes and deletes u's temporary files, except those kept with
// MoveTo. It may run more than once.
func (u *upload) release(h *Hub) {
	for _, f := range u.files {
		if f.w != nil {
			_ = f.w.Close()
			f.w = nil
		}
		st := f.st
		st.mu.Lock()
		if !st.kept && !st.gone && st.path != "" {
			if err := os.Remove(st.path); err != nil && !errors.Is(err, os.ErrNotExist) {
				h.log.Warn("liveview: deleting an upload's temporary file failed", u.conn.logAttrs("function", h.functionLabel(u.function), "err", err)...)
			}
		}
		st.gone = !st.kept
		st.mu.Unlock()
	}
}

// connUploads is a connection's uploads in progress, by id. Only its read
// goroutine changes it (announce, chunks, events, cancel, disconnect); the
// lock is for readers elsewhere.
type connUploads struct {
	mu      sync.Mutex
	live    map[uint32]*upload
	refused [8]uint32 // the last ids refused: their chunks in flight are dropped
	next    int       // where the next refused id goes
}

// forget records that the server refused upload id: the chunks the client
// sent before it read the refusal (up to its window of 4) are dropped
// quietly instead of answered as bad messages.
func (r *connUploads) forget(id uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refused[r.next] = id
	r.next = (r.next + 1) % len(r.refused)
}

// wasRefused reports whether upload id is among the last ones refused.
func (r *connUploads) wasRefused(id uint32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.refused {
		if x == id {
			return true
		}
	}
	return false
}

func (r *connUploads) get(id uint32) *upload {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.live[id]
}

func (r *connUploads) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}

func (r *connUploads) add(u *upload) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.live == nil {
		r.live = make(map[uint32]*upload)
	}
	r.live[u.id] = u
}

// take removes upload id and returns it, nil when there is none.
func (r *connUploads) take(id uint32) *upload {
	r.mu.Lock()
	defer r.mu.Unlock()
	u := r.live[id]
	delete(r.live, id)
	return u
}

// takeAll removes every upload.
func (r *connUploads) takeAll() []*upload {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*upload, 0, len(r.live))
	for _, u := range r.live {
		out = append(out, u)
	}
	r.live = nil
	return out
}

// closeUploads frees every upload of a closed connection.
func (h *Hub) closeUploads(c *conn) {
	for _, u := range c.uploads.takeAll() {
		u.release(h)
	}
}

// The JSON of an upload control frame: {"upload": {...}} without
// "function" at the top.
type wireUploadFrame struct {
	Upload   *wireUpload     `json:"upload"`
	Function json.RawMessage `json:"function"`
}

type wireUpload struct {
	ID       uint32     `json:"id"`
	Function string     `json:"function"`
	Files    []wireFile `json:"files"`
	Cancel   bool       `json:"cancel"`
	Lang     string     `json:"lang"`
}

type wireFile struct {
	Field string `json:"field"`
	Name  string `json:"name"`
	Size  int64  `json:"size"`
	Type  string `json:"type"`
}

// uploadControl handles frame if it is an upload announce or cancel,
// reporting whether it was one. It runs only for frames that are not
// events, so events pay nothing for it.
func (h *Hub) uploadControl(c *conn, frame []byte, allowed bool) bool {
	if !bytes.Contains(frame, []byte(`"upload"`)) {
		return false
	}
	var w wireUploadFrame
	err := json.Unmarshal(frame, &w)
	if w.Upload == nil || w.Function != nil {
		return false
	}
	a := w.Upload
	if a.ID == 0 {
		return false // nothing to refuse: a bad message
	}
	switch {
	case a.Cancel:
		// Cancels cost nothing and race with refusals: an unknown id is
		// no error.
		if u := c.uploads.take(a.ID); u != nil {
			u.release(h)
		}
	case err != nil:
		h.refuseAnnounce(c, a, &refusal{reason: ErrBadUpload, msg: "liveview.upload.invalid", file: -1, detail: "announce does not decode: " + err.Error()})
	case !allowed:
		h.refuseAnnounce(c, a, &refusal{reason: ErrRateLimited, msg: "liveview.upload.rate_limited", file: -1, detail: "rate limit exceeded"})
	default:
		h.announce(c, a)
	}
	return true
}

// announce checks an announced upload and accepts or refuses it.
func (h *Hub) announce(c *conn, a *wireUpload) {
	cfg := &h.cfg.Upload
	if old := c.uploads.take(a.ID); old != nil {
		old.release(h)
		h.refuseAnnounce(c, a, &refusal{reason: ErrBadUpload, msg: "liveview.upload.invalid", file: -1, detail: "upload id announced twice"})
		return
	}
	lim := h.uploadLimits(a.Function)
	whole := func(reason error, msg, detail string) {
		h.refuseAnnounce(c, a, &refusal{reason: reason, msg: msg, file: -1, detail: detail})
	}
	if _, ok := h.reg.lookup(a.Function); !ok || cfg.Disabled {
		detail := "Config.Upload.Disabled"
		if !ok {
			detail = "no handler for the function"
		}
		whole(ErrUploadsDisabled, "liveview.upload.disabled", detail)
		return
	}
	switch {
	case len(a.Files) == 0:
		whole(ErrBadUpload, "liveview.upload.invalid", "announce without files")
		return
	case len(a.Files) > lim.maxFiles:
		h.refuseAnnounce(c, a, &refusal{reason: ErrTooManyFiles, msg: "liveview.upload.too_many", file: -1,
			limit: lim.maxFiles, detail: strconv.Itoa(len(a.Files)) + " files"})
		return
	case c.uploads.len() >= cfg.MaxConcurrent:
		whole(ErrTooManyUploads, "liveview.upload.busy", strconv.Itoa(cfg.MaxConcurrent)+" uploads in progress")
		return
	}
	u := &upload{id: a.ID, function: a.Function, lang: a.Lang, chunk: cfg.ChunkSize, files: make([]*upFile, len(a.Files)), conn: c}
	for i, wf := range a.Files {
		f := &upFile{File: File{Field: wf.Field, Name: wf.Name, ContentType: cleanType(wf.Type), Size: wf.Size, st: &fileState{}}}
		u.files[i] = f
		var r *refusal
		switch {
		case !validFileName(wf.Name):
			r = &refusal{reason: ErrBadUpload, msg: "liveview.upload.failed", detail: "invalid file name"}
		case wf.Size < 0:
			r = &refusal{reason: ErrBadUpload, msg: "liveview.upload.failed", detail: "negative size"}
		case lim.maxSize >= 0 && wf.Size > lim.maxSize:
			r = &refusal{reason: ErrFileTooLarge, msg: "liveview.upload.too_large", limit: formatSize(lim.maxSize), detail: strconv.FormatInt(wf.Size, 10) + " bytes"}
		case lim.accept != nil:
			if f.accept = acceptAnnounced(lim.accept, wf.Name, f.ContentType); f.accept == nil {
				r = &refusal{reason: ErrFileType, msg: "liveview.upload.type", detail: "announced type " + strconv.Quote(clip(wf.Type, MaxClientStringLog))}
			}
		}
		if r != nil {
			r.file, r.field, r.name = i, wf.Field, wf.Name
			h.refuseAnnounce(c, a, r)
			return
		}
	}
	if r := h.advance(u); r != nil {
		u.release(h)
		h.refuseAnnounce(c, a, r)
		return
	}
	c.uploads.add(u)
	h.sendUpload(c, appendUploadFrame(a.ID, func(b []byte) []byte {
		b = append(b, `,"chunk":`...)
		return strconv.AppendInt(b, int64(u.chunk), 10)
	}))
}

// advance moves u past its complete files: the current one once all its
// bytes arrived, and the empty ones that follow (their temporary files
// made now: they get no chunk).
func (h *Hub) advance(u *upload) *refusal {
	for u.cur < len(u.files) {
		f := u.files[u.cur]
		if f.received < f.Size {
			return nil
		}
		var err error
		if f.w == nil && f.st.path == "" {
			err = h.create(f)
		}
		if f.w != nil {
			if cerr := f.w.Close(); err == nil {
				err = cerr
			}
			f.w = nil
		}
		if err != nil {
			return h.writeFailed(u, f, err)
		}
		u.cur++
	}
	return nil
}

// create makes f's temporary file.
func (h *Hub) create(f *upFile) error {
	w, err := os.CreateTemp(h.cfg.Upload.Dir, "liveview-upload-*")
	if err != nil {
		return err
	}
	f.st.mu.Lock()
	f.st.path = w.Name()
	f.st.mu.Unlock()
	f.w = w
	return nil
}

// writeFailed is the refusal of file i, which the server could not write:
// logged as the server's problem.
func (h *Hub) writeFailed(u *upload, f *upFile, err error) *refusal {
	h.log.Error("liveview: writing an upload's temporary file failed (Config.Upload.Dir)",
		u.conn.logAttrs("function", h.functionLabel(u.function), "dir", h.cfg.Upload.Dir, "err", err)...)
	return &refusal{reason: ErrBadUpload, msg: "liveview.upload.failed", file: u.cur, field: f.Field, name: f.Name, detail: "server: " + err.Error()}
}

// onBinary handles a binary frame: a chunk of an upload in progress.
func (h *Hub) onBinary(s *melody.Session, frame []byte) {
	if c := connOf(s); c != nil {
		h.handleChunk(c, frame)
	}
}

// handleChunk writes one chunk to its file and acknowledges it. A chunk
// for no upload in progress is a bad message; one that breaks the protocol
// of its upload refuses the upload.
func (h *Hub) handleChunk(c *conn, frame []byte) {
	ch, err := decodeChunk(frame)
	var u *upload
	if ch.id != 0 {
		u = c.uploads.get(ch.id)
	}
	if u == nil && ch.id != 0 && c.uploads.wasRefused(ch.id) {
		return // sent before the client read the refusal
	}
	if u == nil {
		detail := "not in progress"
		if err != nil {
			detail = err.Error()
		}
		err := fmt.Errorf("%w: binary frame for upload %d: %s", ErrBadMessage, ch.id, detail)
		if !c.allowEvent() {
			err = ErrRateLimited
		}
		h.errHandler(&Context{conn: c}, err)
		return
	}
	if r := h.writeChunk(u, ch, err); r != nil {
		c.uploads.take(u.id)
		u.release(h)
		r.files, r.bytes = len(u.files), 0
		for _, f := range u.files {
			r.bytes += f.Size
		}
		h.refuse(c, u.id, u.function, u.lang, r)
		return
	}
	h.sendUpload(c, appendUploadFrame(u.id, func(b []byte) []byte {
		b = append(b, `,"file":`...)
		b = strconv.AppendUint(b, uint64(ch.file), 10)
		b = append(b, `,"received":`...)
		return strconv.AppendInt(b, u.files[ch.file].received, 10)
	}))
}

// maxSniff is how many first bytes of a file are sniffed
// (http.DetectContentType reads at most 512).
const maxSniff = 512

// writeChunk checks ch against u and writes it, or says why not.
func (h *Hub) writeChunk(u *upload, ch chunk, decodeErr error) *refusal {
	bad := func(detail string) *refusal {
		return &refusal{reason: ErrBadUpload, msg: "liveview.upload.invalid", file: -1, detail: detail}
	}
	if decodeErr != nil {
		return bad(decodeErr.Error())
	}
	if int(ch.file) >= len(u.files) {
		return bad(fmt.Sprintf("chunk for file %d of %d", ch.file, len(u.files)))
	}
	f := u.files[ch.file]
	fileBad := func(detail string) *refusal {
		return &refusal{reason: ErrBadUpload, msg: "liveview.upload.failed", file: int(ch.file), field: f.Field, name: f.Name, detail: detail}
	}
	switch n := int64(len(ch.data)); {
	case u.done():
		return fileBad("chunk after the upload completed")
	case int(ch.file) != u.cur:
		return fileBad(fmt.Sprintf("chunk for file %d while file %d is incomplete", ch.file, u.cur))
	case ch.offset != uint64(f.received):
		return fileBad(fmt.Sprintf("offset %d, expected %d", ch.offset, f.received))
	case len(ch.data) > u.chunk:
		return fileBad(fmt.Sprintf("%d bytes of data, more than the chunk size %d", len(ch.data), u.chunk))
	case n > f.Size-f.received:
		return fileBad(fmt.Sprintf("%d bytes past the announced size %d", f.received+n-f.Size, f.Size))
	}
	if !f.checked && f.accept != nil {
		if f.sniff == nil {
			f.sniff = make([]byte, 0, min(maxSniff, f.Size))
		}
		f.sniff = append(f.sniff, ch.data[:min(len(ch.data), cap(f.sniff)-len(f.sniff))]...)
		if len(f.sniff) == cap(f.sniff) {
			sniffed := http.DetectContentType(f.sniff)
			f.sniff, f.checked = nil, true
			if !acceptSniffed(f.accept, sniffed) {
				r := fileBad("content sniffed as " + sniffed)
				r.reason, r.msg = ErrFileType, "liveview.upload.type"
				return r
			}
		}
	}
	if f.w == nil {
		if err := h.create(f); err != nil {
			return h.writeFailed(u, f, err)
		}
	}
	if _, err := f.w.Write(ch.data); err != nil {
		return h.writeFailed(u, f, err)
	}
	f.received += int64(len(ch.data))
	return h.advance(u)
}

// takeUpload attaches the upload an event names to its Context (so it is
// freed when the event is done, whatever happens) and checks it is
// complete and announced for the event's function.
func (h *Hub) takeUpload(lc *Context) error {
	id := lc.fe.upload
	u := lc.conn.uploads.take(id)
	lc.upload = u
	var why string
	switch {
	case u == nil:
		why = "no upload in progress with this id"
	case u.function != lc.Function():
		why = "the upload was announced for " + strconv.Quote(clip(u.function, MaxClientStringLog))
	case !u.done():
		why = fmt.Sprintf("file %d of %d is incomplete", u.cur, len(u.files))
	default:
		if h.hooks != nil {
			h.uploadComplete(lc.conn, u) // hooks.go
		}
		return nil
	}
	return &Error{
		Message:  lc.fieldMessage([]string{"liveview.upload.incomplete"}, nil, nil),
		Internal: fmt.Errorf("%w: upload %d: %s", ErrUploadIncomplete, id, why),
	}
}

// releaseUpload frees the event's upload once the handler returned.
func (c *Context) releaseUpload() {
	if c.upload != nil {
		c.upload.release(c.conn.hub)
	}
}

// refusal is why an upload is refused: the reason (a sentinel), the
// catalog message, the file at fault (-1: the whole upload) and the detail
// for the log.
type refusal struct {
	reason      error
	msg         string
	file        int
	field, name string
	limit       any // the message's .Limit; an int is also its plural count
	detail      string
	files       int   // announced files, for the Upload hook
	bytes       int64 // their announced bytes
}

func (r *refusal) Error() string {
	reason := strings.TrimPrefix(r.reason.Error(), "liveview: ")
	if r.file < 0 {
		return fmt.Sprintf("liveview: upload refused: %s: %s", reason, r.detail)
	}
	return fmt.Sprintf("liveview: upload refused: file %d (%q): %s: %s", r.file, clip(r.name, MaxClientStringLog), reason, r.detail)
}

func (r *refusal) Unwrap() []error { return []error{ErrUploadRefused, r.reason} }

// refuse sends the refusal of upload id, in the announce's language, and
// logs one bounded line. The upload must already be freed.
func (h *Hub) refuse(c *conn, id uint32, function, lang string, r *refusal) {
	c.uploads.forget(id)
	lc := &Context{conn: c, fe: fastEvent{function: function, lang: lang}}
	var count any
	if n, ok := r.limit.(int); ok {
		count = n
	}
	// The client's own strings come back, bounded.
	text := lc.fieldMessage([]string{r.msg}, map[string]any{"Name": clip(r.name, 255), "Field": clip(r.field, 255), "Limit": r.limit}, count)
	h.sendUpload(c, appendUploadFrame(id, func(b []byte) []byte {
		b = append(b, `,"error":`...)
		b = appendString(b, text)
		if r.file >= 0 {
			b = append(b, `,"field":`...)
			b = appendString(b, r.field) // the page's own input name, whole: the client matches it
			b = append(b, `,"file":`...)
			b = strconv.AppendInt(b, int64(r.file), 10)
		}
		return b
	}))
	level := slog.LevelInfo // the user chose a file over a limit
	if errors.Is(r.reason, ErrBadUpload) {
		level = slog.LevelWarn // a client that breaks the protocol
	}
	h.logEvent(c, logUploadRefused, level, "liveview: upload refused", "upload", id,
		"function", clip(function, MaxClientStringLog), "err", clip(r.Error(), maxErrorLog))
	h.uploadDone(c, function, r.files, r.bytes, r) // hooks.go
}

// refuseAnnounce refuses the upload a announced, with its announced files
// and bytes for the Upload hook.
func (h *Hub) refuseAnnounce(c *conn, a *wireUpload, r *refusal) {
	r.files = len(a.Files)
	for _, f := range a.Files {
		r.bytes += max(0, f.Size)
	}
	h.refuse(c, a.ID, a.Function, a.Lang, r)
}

// appendUploadFrame returns {"upload":{"id":<id>...}} with the keys rest
// appends.
func appendUploadFrame(id uint32, rest func([]byte) []byte) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"upload":{"id":`...)
	b = strconv.AppendUint(b, uint64(id), 10)
	b = rest(b)
	return append(b, "}}"...)
}

// sendUpload queues an upload frame.
func (h *Hub) sendUpload(c *conn, frame []byte) {
	if err := c.write(frame, true); err != nil && !errors.Is(err, ErrConnClosed) && !errors.Is(err, ErrSlowClient) {
		h.log.Warn("liveview: sending an upload frame failed", c.logAttrs("err", err)...)
	}
}

// uploadLimits are the limits of one function's uploads.
type uploadLimits struct {
	maxSize  int64
	maxFiles int
	accept   []acceptRule
}

// uploadRules are UploadConfig's limits, parsed once by New.
type uploadRules struct {
	base      uploadLimits
	functions map[string]uploadLimits
}

func newUploadRules(u *UploadConfig) *uploadRules {
	r := &uploadRules{base: uploadLimits{maxSize: u.MaxFileSize, maxFiles: u.MaxFiles, accept: parseAccept(u.Accept)}}
	for name, l := range u.Functions {
		fl := r.base
		if l.MaxFileSize != 0 {
			fl.maxSize = l.MaxFileSize
		}
		if l.MaxFiles > 0 {
			fl.maxFiles = l.MaxFiles
		}
		if l.Accept != nil {
			fl.accept = parseAccept(l.Accept)
		}
		if r.functions == nil {
			r.functions = make(map[string]uploadLimits)
		}
		r.functions[name] = fl
	}
	return r
}

func (h *Hub) uploadLimits(function string) uploadLimits {
	if l, ok := h.uploads.functions[function]; ok {
		return l
	}
	return h.uploads.base
}

// validFileName reports whether name can be a browser's File.name: not
// empty, at most 255 bytes of UTF-8, no "/", no control character, not "."
// or "..".
func validFileName(name string) bool {
	if name == "" || len(name) > 255 || name == "." || name == ".." || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r == '/' || r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// cleanType returns the announced MIME type without parameters, lower
// case, "" when it is not one.
func cleanType(t string) string {
	if t == "" || len(t) > 255 {
		return ""
	}
	mt, _, err := mime.ParseMediaType(t)
	if err != nil || !strings.Contains(mt, "/") {
		return ""
	}
	return mt
}

// formatSize writes n bytes for a message: "10 MB", "1.5 MB", "512 KB",
// "100 bytes" (units of 1024, one decimal at most).
func formatSize(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	v, unit := float64(n)/1024, "KB"
	for _, u := range []string{"MB", "GB", "TB"} {
		if v < 1024 {
			break
		}
		v, unit = v/1024, u
	}
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0") + " " + unit
}

// acceptRule is one entry of an Accept list: an extension (".png"), a MIME
// type ("image/png") or a family ("image/*", sub "*").
type acceptRule struct {
	ext       string
	main, sub string
}

// parseAccept parses a checked Accept list; nil stays nil (any type).
func parseAccept(list []string) []acceptRule {
	if list == nil {
		return nil
	}
	out := make([]acceptRule, 0, len(list))
	for _, s := range list {
		r, _ := parseAcceptEntry(s)
		out = append(out, r)
	}
	return out
}

func parseAcceptEntry(s string) (acceptRule, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if ext, ok := strings.CutPrefix(s, "."); ok {
		return acceptRule{ext: s}, ext != "" && !strings.ContainsAny(ext, "./\\ *")
	}
	main, sub, ok := strings.Cut(s, "/")
	valid := ok && isToken(main) && main != "*" && (sub == "*" || isToken(sub))
	return acceptRule{main: main, sub: sub}, valid
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?={}*`, c) >= 0 {
			return false
		}
	}
	return true
}

// checkAccept panics for an Accept list entry that is neither an
// extension nor a MIME type or family.
func checkAccept(what string, list []string) {
	for _, s := range list {
		if _, ok := parseAcceptEntry(s); !ok {
			panic(fmt.Sprintf("liveview: %s: %q is not a file extension (\".pdf\"), a MIME type (\"image/png\") or a family (\"image/*\")", what, s))
		}
	}
}

// mimeOf returns the MIME type of rule r ("" for an extension without a
// known type).
func (r acceptRule) mimeOf() string {
	if r.ext == "" {
		return r.main + "/" + r.sub
	}
	t, _, _ := mime.ParseMediaType(mime.TypeByExtension(r.ext))
	return t
}

// matches reports whether the MIME type t is r's type or in r's family.
func (r acceptRule) matches(t string) bool {
	rt := r.mimeOf()
	if rt == "" || t == "" {
		return false
	}
	if r.ext == "" && r.sub == "*" {
		main, _, _ := strings.Cut(t, "/")
		return main == r.main
	}
	return rt == t
}

// acceptAnnounced returns the entries of the list a file named name,
// announced as type t, matches: by its extension, or by its type (its
// extension's when it announced none). Its first bytes are then checked
// against those entries only, so a file that claims to be an image must
// sniff as one even when the list also admits text.
func acceptAnnounced(list []acceptRule, name, t string) []acceptRule {
	ext := strings.ToLower(path.Ext(name))
	if t == "" && ext != "" {
		t, _, _ = mime.ParseMediaType(mime.TypeByExtension(ext))
	}
	var out []acceptRule
	for _, r := range list {
		if r.ext != "" && r.ext == ext || r.ext == "" && r.matches(t) {
			out = append(out, r)
		}
	}
	return out
}

// sniffAliases are types a sniffed type stands for as well.
var sniffAliases = map[string][]string{
	"video/webm":         {"audio/webm"},
	"application/ogg":    {"audio/ogg", "video/ogg", "audio/opus"},
	"audio/wave":         {"audio/wav", "audio/x-wav", "audio/vnd.wave"},
	"audio/mpeg":         {"audio/mp3"},
	"video/mp4":          {"audio/mp4", "audio/x-m4a", "audio/m4a"},
	"audio/aiff":         {"audio/x-aiff"},
	"audio/midi":         {"audio/x-midi"},
	"image/x-icon":       {"image/vnd.microsoft.icon"},
	"application/x-gzip": {"application/gzip"},
	"text/xml":           {"application/xml"},
}

// acceptSniffed reports whether a file whose first bytes sniff as sniffed
// (http.DetectContentType) may be of one of the entries. Formats the sniffer does
// not know (application/octet-stream) pass, as do lists with an entry
// whose type is unknown (an extension without a MIME type); text passes
// for textual entries and for those that are not image, audio, video or
// font types or a format the sniffer recognizes; zip and gzip archives
// pass for the formats built on them.
func acceptSniffed(list []acceptRule, sniffed string) bool {
	s, _, _ := mime.ParseMediaType(sniffed)
	if s == "application/octet-stream" {
		return true
	}
	for _, r := range list {
		rt := r.mimeOf()
		switch {
		case rt == "" || r.matches(s):
			return true
		case strings.HasPrefix(s, "text/") && (textual(rt) || s == "text/plain" && !binaryOnly(rt)):
			return true
		case s == "application/zip" && zipBased(rt), s == "application/x-gzip" && strings.Contains(rt, "gzip"):
			return true
		}
		for _, a := range sniffAliases[s] {
			if r.matches(a) {
				return true
			}
		}
	}
	return false
}

// textual reports whether t is a text format (text/*, JSON, XML, SVG,
// JavaScript, YAML, ...).
func textual(t string) bool {
	if strings.HasPrefix(t, "text/") || strings.HasSuffix(t, "+xml") || strings.HasSuffix(t, "+json") {
		return true
	}
	switch t {
	case "application/json", "application/xml", "application/javascript", "application/x-javascript",
		"application/ecmascript", "application/yaml", "application/x-yaml", "application/toml",
		"application/x-sh", "application/sql", "application/x-ndjson", "application/rtf", "application/csv",
		"application/x-tex", "application/x-latex", "application/x-subrip":
		return true
	}
	return false
}

// binaryOnly reports whether a file of rule r (type rt) can never be
// plain text: images, audio, video, fonts, and the formats the sniffer
// recognizes by their signature.
func binaryOnly(rt string) bool {
	main, _, _ := strings.Cut(rt, "/")
	switch main {
	case "image", "audio", "video", "font":
		return true
	}
	switch rt {
	case "application/pdf", "application/zip", "application/x-gzip", "application/gzip", "application/wasm",
		"application/x-rar-compressed", "application/vnd.rar", "application/postscript", "application/ogg":
		return true
	}
	return zipBased(rt)
}

// zipBased reports whether t is a zip archive or a format built on one
// (Office Open XML, OpenDocument, EPUB, JAR, APK).
func zipBased(t string) bool {
	return strings.Contains(t, "zip") || strings.HasPrefix(t, "application/vnd.openxmlformats-") ||
		strings.HasPrefix(t, "application/vnd.oasis.opendocument.") || t == "application/java-archive" ||
		t == "application/vnd.android.package-archive"
}
