package liveview

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// ValidRoom reports whether room matches ^[A-Za-z0-9_.-]{1,100}$, the
// pattern the default Config.Room enforces.
func ValidRoom(room string) bool {
	if len(room) == 0 || len(room) > 100 {
		return false
	}
	for i := 0; i < len(room); i++ {
		c := room[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// NewRoomID returns a random room name of 32 lower-case hex characters, like
// Django LiveView's {% liveview_room_uuid %}: put it in <html data-room> to
// give a page load a room of its own.
func NewRoomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// Signed rooms. A token is a URL segment made only of [A-Za-z0-9_.-], in
// one of two formats, told apart by the length of the last dot-separated
// part:
//
//	room "." mac22               SignRoom (and SignRoomFor(room, "", 0))
//	room "." meta "." mac24      SignRoomFor with a subject or a ttl
//
// mac22 is unpadded base64url of the first 16 bytes of
// HMAC-SHA256(secret, "liveview room\x00" room). meta is a kind, "s"
// (bound to a subject) or "u" (not bound), followed by the expiry in Unix
// seconds in lower-case base 36, or by nothing for no expiry. mac24 is
// unpadded base64url of the first 18 bytes of HMAC-SHA256(secret,
// "liveview room v2\x00" meta "\x00" room "\x00" subject), subject being
// "" for kind "u". The subject is never in the token, only in the MAC: a
// token bound to one user is useless to anyone whose RoomSubject differs.
// The two domain strings differ, so a MAC of one format never verifies as
// the other.
const (
	sigLen   = 22 // SignRoom: 16 bytes of MAC
	sigLenV2 = 24 // SignRoomFor: 18 bytes of MAC

	sigBytesV2 = 18
	maxExpiry  = 13 // base 36 digits of the largest int64
	// maxSignedLen bounds a segment worth parsing: a room of 100, meta of
	// 1+13, two dots and the MAC.
	maxSignedLen = 100 + 1 + 1 + maxExpiry + 1 + sigLenV2

	kindSubject = 's'
	kindOpen    = 'u'
)

// Reasons a signed segment is refused; each wraps ErrInvalidRoom.
var (
	errRoomNotSigned = fmt.Errorf("%w: not a signed room", ErrInvalidRoom)
	errRoomSignature = fmt.Errorf("%w: signature does not match", ErrInvalidRoom)
	errRoomExpired   = fmt.Errorf("%w: signed room expired", ErrInvalidRoom)
	errRoomNoSubject = fmt.Errorf("%w: signed room is bound to a subject, the connection has none", ErrInvalidRoom)
)

// SignRoom returns room with a signature appended ("room.<signature>"), for
// <html data-room> when Config.RoomSecret is set: the endpoint then accepts
// only segments signed with that secret, so a client cannot join a room the
// server did not hand it. The token never expires and is not bound to
// anyone: whoever has it may join room until the secret changes (see
// SignRoomFor for both). It is SignRoomFor(room, "", 0). It panics if the
// Hub has no RoomSecret or room is not a ValidRoom (both are programming
// errors). Safe for concurrent use.
func (h *Hub) SignRoom(room string) string {
	if len(h.cfg.RoomSecret) == 0 {
		panic("liveview: SignRoom needs Config.RoomSecret")
	}
	if !ValidRoom(room) {
		panic(fmt.Sprintf("liveview: SignRoom: invalid room %q", room))
	}
	return room + "." + roomSignature(h.cfg.RoomSecret, room)
}

// SignRoomFor is SignRoom with two optional restrictions, checked by the
// endpoint during the handshake:
//
//   - subject: when not "", the token is accepted only from a connection
//     whose Config.RoomSubject returns exactly subject (e.g. the user ID of
//     the session the page was rendered for). The subject is part of the
//     MAC, never of the token, so it is not disclosed and cannot be changed.
//   - ttl: when positive, the token is refused once ttl (rounded up to the
//     second) has passed, by the server's clock. It bounds how long a
//     leaked token works, but also how long a page may reconnect: a page
//     open longer than ttl cannot reconnect until it is reloaded, so pick a
//     ttl longer than a page usually stays open.
//
// The token is "room.<meta>.<signature>", at most 140 characters of
// [A-Za-z0-9_.-]. SignRoomFor(room, "", 0) is SignRoom(room). It panics if
// the Hub has no RoomSecret, room is not a ValidRoom or ttl is negative
// (programming errors). Safe for concurrent use.
func (h *Hub) SignRoomFor(room, subject string, ttl time.Duration) string {
	if ttl < 0 {
		panic(fmt.Sprintf("liveview: SignRoomFor: negative ttl %v", ttl))
	}
	if subject == "" && ttl == 0 {
		return h.SignRoom(room)
	}
	if len(h.cfg.RoomSecret) == 0 {
		panic("liveview: SignRoomFor needs Config.RoomSecret")
	}
	if !ValidRoom(room) {
		panic(fmt.Sprintf("liveview: SignRoomFor: invalid room %q", room))
	}
	var exp int64
	if ttl > 0 {
		t := time.Now().Add(ttl)
		if exp = t.Unix(); t.Nanosecond() != 0 {
			exp++ // round up: never shorter than ttl
		}
	}
	return signRoomV2(h.cfg.RoomSecret, room, subject, exp)
}

// signRoomV2 makes a token of the second format; exp is in Unix seconds, 0
// for none.
func signRoomV2(secret []byte, room, subject string, exp int64) string {
	meta := string(kindOpen)
	if subject != "" {
		meta = string(kindSubject)
	}
	if exp != 0 {
		meta += strconv.FormatInt(exp, 36)
	}
	return room + "." + meta + "." + roomSignatureV2(secret, meta, room, subject)
}

func roomSignature(secret []byte, room string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("liveview room\x00"))
	m.Write([]byte(room))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func roomSignatureV2(secret []byte, meta, room, subject string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("liveview room v2\x00"))
	m.Write([]byte(meta))
	m.Write([]byte{0})
	m.Write([]byte(room))
	m.Write([]byte{0})
	m.Write([]byte(subject)) // last: it may hold any byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:sigBytesV2])
}

// signedRoom returns the room of the signed segment seg of a connecting
// client, or the reason to refuse it, logged once, bounded: the log shows
// the reason and the start of the segment, never the secret or a subject.
func (h *Hub) signedRoom(c echo.Context, seg string) (string, error) {
	subject := func() string {
		if h.cfg.RoomSubject == nil {
			return ""
		}
		return h.cfg.RoomSubject(c)
	}
	room, err := verifyRoom(h.cfg.RoomSecret, seg, subject, time.Now())
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, errRoomExpired) { // an old page reconnecting: expected
			level = slog.LevelInfo
		}
		h.logHandshake(logSignedRoom, level, "liveview: handshake refused: "+strings.TrimPrefix(err.Error(), ErrInvalidRoom.Error()+": "),
			"segment", clip(seg, MaxClientStringLog), "len", len(seg), "remote", c.Request().RemoteAddr)
	}
	return room, err
}

// verifyRoom checks a signed segment at time now and returns the room in
// it. subject is called only for a token bound to a subject.
func verifyRoom(secret []byte, seg string, subject func() string, now time.Time) (string, error) {
	if len(seg) > maxSignedLen {
		return "", errRoomNotSigned
	}
	i := strings.LastIndexByte(seg, '.')
	if i < 0 {
		return "", errRoomNotSigned
	}
	rest, sig := seg[:i], seg[i+1:]
	switch len(sig) {
	case sigLen:
		if !ValidRoom(rest) {
			return "", errRoomNotSigned
		}
		if !hmac.Equal([]byte(sig), []byte(roomSignature(secret, rest))) {
			return "", errRoomSignature
		}
		return rest, nil
	case sigLenV2:
		j := strings.LastIndexByte(rest, '.')
		if j < 0 {
			return "", errRoomNotSigned
		}
		room, meta := rest[:j], rest[j+1:]
		exp, ok := parseMeta(meta)
		if !ok || !ValidRoom(room) {
			return "", errRoomNotSigned
		}
		var subj string
		if meta[0] == kindSubject {
			if subj = subject(); subj == "" {
				return "", errRoomNoSubject
			}
		}
		if !hmac.Equal([]byte(sig), []byte(roomSignatureV2(secret, meta, room, subj))) {
			return "", errRoomSignature // also: another subject
		}
		if exp != 0 && !now.Before(time.Unix(exp, 0)) {
			return "", errRoomExpired
		}
		return room, nil
	}
	return "", errRoomNotSigned
}

// parseMeta reads kind [expiry] strictly: one spelling per value (lower
// case, no sign, no leading zero), so a token cannot be re-spelt.
func parseMeta(meta string) (exp int64, ok bool) {
	if meta == "" || meta[0] != kindSubject && meta[0] != kindOpen {
		return 0, false
	}
	digits := meta[1:]
	if digits == "" {
		return 0, true
	}
	if len(digits) > maxExpiry || digits[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return 0, false
		}
	}
	exp, err := strconv.ParseInt(digits, 36, 64)
	return exp, err == nil
}
