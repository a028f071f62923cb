package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"html/template"
	"strconv"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

// A stand-in for the server side of uploads while the Hub has none: a
// WebSocket endpoint at /fake/ws/:room/ that speaks the upload protocol of
// main.js' header (announce, accepted / refused, chunks, acks, the event)
// and answers /p/uploads' functions. /p/uploads?fake=1 connects to it.

// fakeChunk is the chunk size the fake accepts uploads with.
const fakeChunk = 60 << 10

// fakeLimits are the largest file each function of /p/uploads takes.
var fakeLimits = map[string]int64{"up_one": 1 << 20, "up_many": 10 << 20, "up_big": 200 << 20}

// uploadedFile is a file as /p/uploads' result lists it.
type uploadedFile struct {
	Field, Name, Type, SHA string
	Size                   int64
}

type fakeUpload struct {
	function string
	files    []uploadedFile
	got      []int64
	sums     []hash.Hash
}

func addFakeUploads(e *echo.Echo, t *template.Template) {
	up := websocket.Upgrader{}
	e.GET("/fake/ws/:room/", func(c echo.Context) error {
		ws, err := up.Upgrade(c.Response(), c.Request(), nil)
		if err != nil {
			return nil
		}
		defer ws.Close()
		serveFake(ws, t)
		return nil
	})
}

func serveFake(ws *websocket.Conn, t *template.Template) {
	uploads := map[uint32]*fakeUpload{}
	pings := 0
	send := func(v any) {
		b, _ := json.Marshal(v)
		_ = ws.WriteMessage(websocket.TextMessage, b)
	}
	refuse := func(id uint32, msg string, field string, file int) {
		delete(uploads, id)
		r := map[string]any{"id": id, "error": msg}
		if field != "" {
			r["field"], r["file"] = field, file
		}
		send(map[string]any{"upload": r})
	}
	for {
		kind, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if kind == websocket.BinaryMessage {
			if len(b) < 15 || b[0] != 1 {
				send(map[string]any{"error": "bad chunk"})
				continue
			}
			id := binary.BigEndian.Uint32(b[1:])
			i := int(binary.BigEndian.Uint16(b[5:]))
			off := int64(binary.BigEndian.Uint64(b[7:]))
			u := uploads[id]
			switch {
			case u == nil:
				send(map[string]any{"error": "chunk for no upload"})
			case i >= len(u.files) || off != u.got[i] || off+int64(len(b)-15) > u.files[i].Size || len(b)-15 > fakeChunk || len(b) == 15:
				refuse(id, "bad chunk", "", 0)
			case i > 0 && u.got[i-1] != u.files[i-1].Size:
				refuse(id, "out of order", "", 0)
			default:
				u.sums[i].Write(b[15:])
				u.got[i] += int64(len(b) - 15)
				send(map[string]any{"upload": map[string]any{"id": id, "file": i, "received": u.got[i]}})
			}
			continue
		}
		var m struct {
			Upload json.RawMessage `json:"upload"`
			Func   string          `json:"function"`
			Form   map[string]any  `json:"form"`
			Data   map[string]any  `json:"data"`
			Ref    int             `json:"ref"`
		}
		if json.Unmarshal(b, &m) != nil {
			continue
		}
		if m.Func == "" { // an announce or a cancel
			var a struct {
				ID     uint32 `json:"id"`
				Cancel bool   `json:"cancel"`
				Func   string `json:"function"`
				Files  []struct {
					Field, Name, Type string
					Size              int64
				} `json:"files"`
			}
			if json.Unmarshal(m.Upload, &a) != nil || a.ID == 0 {
				continue
			}
			if a.Cancel {
				delete(uploads, a.ID)
				continue
			}
			limit, ok := fakeLimits[a.Func]
			if !ok {
				refuse(a.ID, "Unknown function", "", 0)
				continue
			}
			u := &fakeUpload{function: a.Func}
			refused := false
			for i, f := range a.Files {
				if f.Size > limit {
					refuse(a.ID, fmt.Sprintf("%s is larger than %d MB.", f.Name, limit>>20), f.Field, i)
					refused = true
					break
				}
				u.files = append(u.files, uploadedFile{Field: f.Field, Name: f.Name, Type: f.Type, Size: f.Size})
				u.got = append(u.got, 0)
				u.sums = append(u.sums, sha256.New())
			}
			if !refused {
				uploads[a.ID] = u
				send(map[string]any{"upload": map[string]any{"id": a.ID, "chunk": fakeChunk}})
			}
			continue
		}
		// An event: logged in #log like record, answered with its ref.
		logged, _ := json.Marshal(map[string]any{"function": m.Func, "data": m.Data, "form": m.Form})
		send(map[string]any{"target": "#log", "append": true, "html": "<li>" + template.HTMLEscapeString(string(logged)) + "</li>"})
		switch m.Func {
		case "up_ping":
			pings++
			send(map[string]any{"target": "#pong", "html": "pong " + strconv.Itoa(pings), "ref": m.Ref})
		default:
			var id uint32
			_ = json.Unmarshal(m.Upload, &id)
			u := uploads[id]
			delete(uploads, id)
			if len(m.Upload) == 0 { // no file chosen: no upload
				u = &fakeUpload{function: m.Func}
			}
			complete := u != nil && u.function == m.Func
			for i := 0; complete && i < len(u.files); i++ {
				complete = u.got[i] == u.files[i].Size
				u.files[i].SHA = hex.EncodeToString(u.sums[i].Sum(nil))
			}
			if !complete {
				send(map[string]any{"error": "upload incomplete", "function": m.Func, "ref": m.Ref})
				continue
			}
			var html bytes.Buffer
			_ = t.ExecuteTemplate(&html, "uploads_result.html", u.files)
			send(map[string]any{"target": "#result", "html": html.String(), "ref": m.Ref})
		}
	}
}
