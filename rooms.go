package liveview

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
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

// sigLen is the length of a room signature: 128 bits of HMAC-SHA256 in
// unpadded base64url, whose alphabet fits the room pattern.
const sigLen = 22

// SignRoom returns room with a signature appended ("room.<signature>"), for
// <html data-room> when Config.RoomSecret is set: the endpoint then accepts
// only segments signed with that secret, so a client cannot join a room the
// server did not hand it. It panics if the Hub has no RoomSecret or room is
// not a ValidRoom (both are programming errors).
func (h *Hub) SignRoom(room string) string {
	if len(h.cfg.RoomSecret) == 0 {
		panic("liveview: SignRoom needs Config.RoomSecret")
	}
	if !ValidRoom(room) {
		panic(fmt.Sprintf("liveview: SignRoom: invalid room %q", room))
	}
	return room + "." + roomSignature(h.cfg.RoomSecret, room)
}

func roomSignature(secret []byte, room string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("liveview room\x00"))
	m.Write([]byte(room))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// verifyRoom checks a signed segment and returns the room in it.
func verifyRoom(secret []byte, seg string) (string, bool) {
	i := strings.LastIndexByte(seg, '.')
	if i < 0 || len(seg)-i-1 != sigLen {
		return "", false
	}
	room, sig := seg[:i], seg[i+1:]
	if !ValidRoom(room) {
		return "", false
	}
	return room, hmac.Equal([]byte(sig), []byte(roomSignature(secret, room)))
}
