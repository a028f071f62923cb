package liveview

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"
)

var testRoomSecret = []byte("0123456789abcdef0123456789abcdef")

// oldToken was made by Hub.SignRoom("order-17.a") with testRoomSecret
// before signed rooms had expiry and subjects: it must stay valid.
const oldToken = "order-17.a.BGib3jRLduRAKW2s7rUAIw"

// TestSignRoomForTokens checks what a token looks like: URL-safe, bounded,
// without the subject in it, and SignRoom's tokens unchanged.
func TestSignRoomForTokens(t *testing.T) {
	h := New(Config{RoomSecret: testRoomSecret, Logger: discardLogger()})
	defer h.Close()
	if got := h.SignRoom("order-17.a"); got != oldToken {
		t.Fatalf("SignRoom changed its tokens: %q, want %q", got, oldToken)
	}
	if got := h.SignRoomFor("order-17.a", "", 0); got != oldToken {
		t.Fatalf("SignRoomFor(room, \"\", 0) = %q, want SignRoom's %q", got, oldToken)
	}
	long := strings.Repeat("r", 100)
	const subject = "user-Zq9xWv7Tk3"
	tokens := map[string]string{
		"subject":          h.SignRoomFor("order-17.a", subject, 0),
		"ttl":              h.SignRoomFor("order-17.a", "", time.Hour),
		"subject and ttl":  h.SignRoomFor("order-17.a", subject, time.Hour),
		"longest":          h.SignRoomFor(long, subject, 1<<62),
		"other subject":    h.SignRoomFor("order-17.a", subject+"x", 0),
		"subject with NUL": h.SignRoomFor("order-17.a", "a\x00b.c", time.Minute),
	}
	seen := map[string]string{}
	for name, tok := range tokens {
		if strings.Trim(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != "" {
			t.Errorf("%s: token %q has characters outside [A-Za-z0-9_.-]", name, tok)
		}
		if len(tok) > 140 {
			t.Errorf("%s: token of %d characters, documented maximum 140", name, len(tok))
		}
		if strings.Contains(tok, subject) {
			t.Errorf("%s: token %q carries the subject in clear", name, tok)
		}
		if prev, ok := seen[tok]; ok {
			t.Errorf("%s and %s made the same token %q", name, prev, tok)
		}
		seen[tok] = name
	}

	// The expiry is never earlier than asked, and about as asked.
	before := time.Now()
	tok := h.SignRoomFor("r", "", 90*time.Second)
	meta := strings.Split(tok, ".")[1]
	exp, err := strconv.ParseInt(meta[1:], 36, 64)
	if err != nil {
		t.Fatalf("expiry of %q: %v", tok, err)
	}
	if e := time.Unix(exp, 0); e.Before(before.Add(90*time.Second).Truncate(time.Second)) || e.After(time.Now().Add(92*time.Second)) {
		t.Errorf("expiry %v, want about %v", e, before.Add(90*time.Second))
	}

	for name, f := range map[string]func(){
		"negative ttl": func() { h.SignRoomFor("r", "u", -time.Second) },
		"invalid room": func() { h.SignRoomFor("a b", "u", time.Hour) },
		"empty room":   func() { h.SignRoomFor("", "", time.Hour) },
		"no secret": func() {
			n := New(Config{Logger: discardLogger()})
			defer n.Close()
			n.SignRoomFor("r", "u", time.Hour)
		},
	} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "liveview: ") {
					t.Errorf("%s: recovered %v, want a liveview: panic", name, r)
				}
			}()
			f()
		}()
	}
}

// TestVerifyRoom is the table of hostile segments against the verifier, at
// a fixed time: each is refused for the reason given, or accepted.
func TestVerifyRoom(t *testing.T) {
	now := time.Unix(1_900_000_000, 0)
	hour := now.Add(time.Hour).Unix()
	past := now.Add(-time.Second).Unix()
	sign := func(room, subject string, exp int64) string { return signRoomV2(testRoomSecret, room, subject, exp) }
	bound := sign("order-17.a", "alice", hour)
	open := sign("order-17.a", "", hour)
	// rebuild replaces the meta part of a token, keeping its signature.
	rebuild := func(tok, meta string) string {
		p := strings.Split(tok, ".")
		p[len(p)-2] = meta
		return strings.Join(p, ".")
	}
	metaOf := func(tok string) string { p := strings.Split(tok, "."); return p[len(p)-2] }
	otherSecret := []byte("another secret, another app.....")

	tests := []struct {
		name    string
		seg     string
		subject string // what the connection's RoomSubject returns
		want    error  // nil: accepted as order-17.a
	}{
		{"SignRoom token of today", oldToken, "", nil},
		{"SignRoom token, connection with a subject", oldToken, "alice", nil},
		{"bound, right subject", bound, "alice", nil},
		{"bound, no expiry", sign("order-17.a", "alice", 0), "alice", nil},
		{"unbound with expiry, any subject", open, "bob", nil},
		{"unbound with expiry, no subject", open, "", nil},
		{"expires in a second", sign("order-17.a", "", now.Unix()+1), "", nil},

		{"wrong subject", bound, "bob", errRoomSignature},
		{"subject differs in case", bound, "Alice", errRoomSignature},
		{"subject is a prefix", bound, "alic", errRoomSignature},
		{"bound, connection without a subject", bound, "", errRoomNoSubject},
		{"bound token relabelled unbound", rebuild(bound, "u"+metaOf(bound)[1:]), "", errRoomSignature},
		{"unbound token relabelled bound", rebuild(open, "s"+metaOf(open)[1:]), "alice", errRoomSignature},
		{"expired", sign("order-17.a", "alice", past), "alice", errRoomExpired},
		{"expires now", sign("order-17.a", "", now.Unix()), "", errRoomExpired},
		{"expiry pushed later", rebuild(bound, "s"+strconv.FormatInt(hour+3600, 36)), "alice", errRoomSignature},
		{"expiry removed", rebuild(bound, "s"), "alice", errRoomSignature},
		{"expiry re-spelt upper case", rebuild(bound, "s"+strings.ToUpper(metaOf(bound)[1:])), "alice", errRoomNotSigned},
		{"expiry with a leading zero", rebuild(bound, "s0"+metaOf(bound)[1:]), "alice", errRoomNotSigned},
		{"expiry negative", rebuild(bound, "s-1"), "alice", errRoomNotSigned},
		{"expiry too long", rebuild(bound, "s"+strings.Repeat("z", 14)), "alice", errRoomNotSigned},
		{"expiry overflows int64", rebuild(bound, "s"+strings.Repeat("z", 13)), "alice", errRoomNotSigned},
		{"unknown kind", rebuild(bound, "x"+metaOf(bound)[1:]), "alice", errRoomNotSigned},
		{"empty meta", rebuild(bound, ""), "alice", errRoomNotSigned},
		{"signature of another room", strings.Replace(bound, "order-17", "order-18", 1), "alice", errRoomSignature},
		{"old signature of another room", "order-18.a" + oldToken[len("order-17.a"):], "", errRoomSignature},
		{"another secret", signRoomV2(otherSecret, "order-17.a", "alice", hour), "alice", errRoomSignature},
		{"tampered signature", tamper(bound), "alice", errRoomSignature},
		{"tampered old signature", tamper(oldToken), "", errRoomSignature},
		{"old signature, one character short", oldToken[:len(oldToken)-1], "", errRoomNotSigned},
		{"old signature, one character more", oldToken + "A", "", errRoomNotSigned},
		{"signature, one character more", bound + "A", "alice", errRoomNotSigned},
		{"signature without meta", "order17." + bound[len(bound)-sigLenV2:], "alice", errRoomNotSigned},
		{"unsigned", "order-17.a", "", errRoomNotSigned},
		{"no dot", "order17", "", errRoomNotSigned},
		{"empty", "", "", errRoomNotSigned},
		{"only dots", strings.Repeat(".", 30), "", errRoomNotSigned},
		{"room too long", strings.Repeat("r", 101) + "." + roomSignature(testRoomSecret, strings.Repeat("r", 101)), "", errRoomNotSigned},
		{"oversize", strings.Repeat("a", 10_000) + oldToken, "", errRoomNotSigned},
		{"just over the bound", strings.Repeat("a", maxSignedLen+1), "", errRoomNotSigned},
		{"room with a space", "a b." + roomSignature(testRoomSecret, "a b"), "", errRoomNotSigned},
		{"room with a NUL", "a\x00b." + roomSignature(testRoomSecret, "a\x00b"), "", errRoomNotSigned},
		{"room with a slash", "a/b.s." + roomSignatureV2(testRoomSecret, "s", "a/b", "alice"), "alice", errRoomNotSigned},
		{"non-UTF-8 garbage", "\xff\xfe." + strings.Repeat("\xff", sigLen), "", errRoomNotSigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			subject := func() string { calls++; return tt.subject }
			room, err := verifyRoom(testRoomSecret, tt.seg, subject, now)
			if tt.want == nil {
				if err != nil || room != "order-17.a" {
					t.Fatalf("verifyRoom(%q) = %q, %v; want order-17.a", tt.seg, room, err)
				}
			} else {
				if err != tt.want || room != "" {
					t.Fatalf("verifyRoom(%q) = %q, %v; want %v", tt.seg, room, err, tt.want)
				}
				if !errors.Is(err, ErrInvalidRoom) || !strings.HasPrefix(err.Error(), "liveview: ") {
					t.Fatalf("error %v must wrap ErrInvalidRoom", err)
				}
			}
			if calls > 1 {
				t.Errorf("RoomSubject called %d times", calls)
			}
		})
	}

	// RoomSubject runs only for a token bound to a subject.
	for _, seg := range []string{oldToken, open, "garbage", tamper(oldToken), tamper(open)} {
		_, _ = verifyRoom(testRoomSecret, seg, func() string { t.Errorf("RoomSubject called for %q", seg); return "" }, now)
	}
}

// TestSignedRoomsHandshake connects real WebSocket clients with signed
// segments; the subject comes from a stand-in session middleware (the
// X-User header). Refusals are 403 with a generic body, and each logs one
// short line without the subject or the secret.
func TestSignedRoomsHandshake(t *testing.T) {
	var logs logRecorder
	rooms := make(chan string, 1)
	var subjectCalls atomic.Int32
	ts := newTestServer(t, Config{
		RoomSecret: testRoomSecret,
		RoomSubject: func(c echo.Context) string {
			subjectCalls.Add(1)
			s, _ := c.Get("user").(string)
			return s
		},
		Logger: logs.logger(),
	}, func(h *Hub, e *echo.Echo) {
		h.handshakeLogs.every = -1 // a line per refusal, not a summary: the test reads each
		e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.Set("user", c.Request().Header.Get("X-User"))
				return next(c)
			}
		})
		h.Handle("where", func(c *Context) error { rooms <- c.Room(); return nil })
	})
	h := ts.hub
	const alice = "alice-7Hq2x"
	hugeSegment := strings.Repeat("A", 8000)
	tests := []struct {
		name, seg, user string
		status          int // 0: the socket opens
	}{
		{"SignRoom token of today", oldToken, "", 0},
		{"SignRoom", h.SignRoom("order-17.a"), alice, 0},
		{"bound to the user", h.SignRoomFor("order-17.a", alice, time.Hour), alice, 0},
		{"bound, no expiry", h.SignRoomFor("order-17.a", alice, 0), alice, 0},
		{"unbound with expiry", h.SignRoomFor("order-17.a", "", time.Hour), "", 0},
		{"bound to another user", h.SignRoomFor("order-17.a", alice, time.Hour), "bob", http.StatusForbidden},
		{"bound, no session", h.SignRoomFor("order-17.a", alice, time.Hour), "", http.StatusForbidden},
		{"expired", signRoomV2(testRoomSecret, "order-17.a", alice, time.Now().Add(-time.Minute).Unix()), alice, http.StatusForbidden},
		{"expiry pushed later", strings.Replace(h.SignRoomFor("order-17.a", alice, time.Hour), ".s", ".s1", 1), alice, http.StatusForbidden},
		{"tampered signature", tamper(h.SignRoomFor("order-17.a", alice, time.Hour)), alice, http.StatusForbidden},
		{"unsigned", "order-17.a", "", http.StatusForbidden},
		{"oversize", hugeSegment, "", http.StatusForbidden},
		{"garbage", "%00%0A%ff..-", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(logs.String())
			header := http.Header{"Origin": {ts.srv.URL}}
			if tt.user != "" {
				header.Set("X-User", tt.user)
			}
			ws, resp, err := websocket.DefaultDialer.Dial(ts.wsURL(tt.seg), header)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("dial: %v (%v)", err, resp)
				}
				defer ws.Close()
				c := &client{t: t, ws: ws}
				c.send("where", nil, nil)
				select {
				case r := <-rooms:
					if r != "order-17.a" {
						t.Fatalf("room %q, want order-17.a", r)
					}
				case <-time.After(readTimeout):
					t.Fatal("no event")
				}
				return
			}
			if err == nil {
				ws.Close()
				t.Fatal("the socket opened")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("got %v %v, want %d", resp, err, tt.status)
			}
			body, _ := io.ReadAll(resp.Body)
			if bytes.Contains(body, []byte(alice)) || bytes.Contains(body, testRoomSecret) {
				t.Errorf("the answer discloses the subject or the secret: %s", body)
			}
			var refusals []string
			for _, l := range strings.Split(logs.String()[before:], "\n") {
				if strings.Contains(l, "handshake refused") {
					refusals = append(refusals, l)
				}
			}
			if len(refusals) != 1 {
				t.Fatalf("want one refusal log line, got %d:\n%s", len(refusals), strings.Join(refusals, "\n"))
			}
			line := refusals[0]
			if len(line) > 400 {
				t.Errorf("log line of %d bytes: %s", len(line), line)
			}
			if strings.Contains(line, alice) || strings.Contains(line, string(testRoomSecret)) || strings.Contains(line, "bob") {
				t.Errorf("the log discloses a subject or the secret: %s", line)
			}
		})
	}
	if out := logs.String(); !strings.Contains(out, "signed room expired") || !strings.Contains(out, "signature does not match") ||
		!strings.Contains(out, "the connection has none") || !strings.Contains(out, "not a signed room") {
		t.Errorf("the log does not name each reason:\n%s", out)
	}
	if !strings.Contains(logs.String(), hugeSegment[:MaxClientStringLog]+"...") {
		t.Error("the oversize segment is not logged truncated")
	}
	if subjectCalls.Load() == 0 {
		t.Error("RoomSubject was never called")
	}
}
