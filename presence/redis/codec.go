package redis

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/echo-liveview/liveview/presence"
)

// What the tracker writes to Redis and to its pub/sub channels, and how it
// reads them back. Everything read is checked: a hostile or corrupt value
// is skipped (and counted), never trusted, never a panic.
//
// Hash of one instance in one topic: field "" = the instance's sequence
// number of its last write (decimal), field ref = value, where value is
// the key's length in decimal, ':', the key, then the Meta's bytes (empty
// for a nil Meta).

// idLen is the length of an instance id: 16 random bytes in hex.
const idLen = 32

func validID(id string) bool {
	if len(id) != idLen {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func encodeValue(e presence.Entry) string {
	return strconv.Itoa(len(e.Key)) + ":" + e.Key + string(e.Meta)
}

var errCorrupt = errors.New("liveview: presence: redis: corrupt value")

// decodeValue decodes the value of ref and checks the entry against lim.
func decodeValue(ref, v string, lim presence.Limits) (presence.Entry, error) {
	n, rest, ok := strings.Cut(v, ":")
	if !ok || n == "" || len(n) > 4 || strings.TrimLeft(n, "0123456789") != "" {
		return presence.Entry{}, fmt.Errorf("%w: no key length", errCorrupt)
	}
	kl, _ := strconv.Atoi(n)
	if kl > len(rest) {
		return presence.Entry{}, fmt.Errorf("%w: key length %d of %d bytes", errCorrupt, kl, len(rest))
	}
	e := presence.Entry{Key: rest[:kl], Ref: ref}
	if meta := rest[kl:]; meta != "" {
		e.Meta = json.RawMessage(meta)
	}
	// Check with any topic: only the entry is in question.
	if err := lim.Check("t", e); err != nil {
		return presence.Entry{}, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	return e, nil
}

// snapPart is one instance's entries in a topic as read from Redis.
type snapPart struct {
	seq     uint64
	entries map[string]presence.Entry
}

// parseSnapshot decodes the reply of the read script: instance id, then
// the flat field/value array of its hash, repeated. It returns the parts
// by instance id and the number of things it skipped as corrupt. Only a
// reply that is not an array at all is an error.
func parseSnapshot(reply any, lim presence.Limits) (map[string]*snapPart, int, error) {
	arr, ok := reply.([]any)
	if !ok {
		return nil, 0, fmt.Errorf("%w: snapshot reply of type %T", errCorrupt, reply)
	}
	parts := make(map[string]*snapPart)
	bad := 0
	for i := 0; i+1 < len(arr); i += 2 {
		id, ok := arr[i].(string)
		fields, fok := arr[i+1].([]any)
		if !ok || !fok || !validID(id) || parts[id] != nil {
			bad++
			continue
		}
		p := &snapPart{entries: make(map[string]presence.Entry)}
		for j := 0; j+1 < len(fields); j += 2 {
			f, fok := fields[j].(string)
			v, vok := fields[j+1].(string)
			if !fok || !vok {
				bad++
				continue
			}
			if f == "" {
				seq, err := strconv.ParseUint(v, 10, 64)
				if err != nil {
					bad++
				}
				p.seq = seq
				continue
			}
			if presence.CheckName("ref", f) != nil || len(p.entries) >= lim.MaxEntries {
				bad++
				continue
			}
			e, err := decodeValue(f, v, lim)
			if err != nil {
				bad++
				continue
			}
			p.entries[f] = e
		}
		if len(fields)%2 != 0 {
			bad++
		}
		parts[id] = p
	}
	if len(arr)%2 != 0 {
		bad++
	}
	return parts, bad, nil
}

// Operations of a change message.
const (
	opTrack   = "t" // Ref now has Key and Meta
	opUntrack = "u" // Ref is gone
	opClose   = "c" // the instance left the topic: all its entries are gone
	opReread  = "r" // the instance rewrote its hash: read the topic again
)

// message is what an instance publishes on a topic's channel after each
// write of its hash, so that the others' replicas follow at once.
//
// Prev is the sequence number of the instance's previous write of its hash
// in the topic (0: there was no hash: a Track then says the whole hash),
// so that a replica sees a lost message and reads the topic again. Old,
// on a reread, is the instance's previous id (it took a new one after
// Redis lost its data): its part of the topic is replaced by the new one.
type message struct {
	ID   string          `json:"i"`
	Seq  uint64          `json:"s"`
	Prev uint64          `json:"p,omitempty"`
	Op   string          `json:"o"`
	Ref  string          `json:"r,omitempty"`
	Key  string          `json:"k,omitempty"`
	Meta json.RawMessage `json:"m,omitempty"`
	Old  string          `json:"x,omitempty"`
}

// decodeMessage decodes and checks a change message.
func decodeMessage(p []byte, lim presence.Limits) (message, error) {
	var m message
	if len(p) > lim.MaxMeta+3*presence.MaxName+256 {
		return m, fmt.Errorf("%w: message of %d bytes", errCorrupt, len(p))
	}
	if err := json.Unmarshal(p, &m); err != nil {
		return m, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if !validID(m.ID) || m.Seq == 0 || (m.Old != "" && !validID(m.Old)) {
		return m, fmt.Errorf("%w: message without a valid id and sequence", errCorrupt)
	}
	switch m.Op {
	case opTrack:
		if string(m.Meta) == "null" {
			m.Meta = nil
		}
		if err := lim.Check("t", presence.Entry{Key: m.Key, Ref: m.Ref, Meta: m.Meta}); err != nil {
			return m, fmt.Errorf("%w: %w", errCorrupt, err)
		}
	case opUntrack:
		if err := presence.CheckName("ref", m.Ref); err != nil {
			return m, fmt.Errorf("%w: %w", errCorrupt, err)
		}
	case opClose, opReread:
	default:
		return m, fmt.Errorf("%w: unknown operation %.10q", errCorrupt, m.Op)
	}
	return m, nil
}

// liveness is the liveness set as read from Redis: Redis's time and every
// instance's lease expiry, in milliseconds of Redis's clock.
type liveness struct {
	now     int64
	moved   bool // the heartbeat took the new id
	expires map[string]int64
}

// alive reports whether id's lease runs.
func (l *liveness) alive(id string) bool { return l.expires[id] > l.now }

// expired reports whether id is in the set with its lease run out.
func (l *liveness) expired(id string) bool {
	e, ok := l.expires[id]
	return ok && e <= l.now
}

// parseLiveness decodes the reply of the liveness scripts, skipping
// members that are not instance ids (they count as bad).
func parseLiveness(reply any) (*liveness, int, error) {
	arr, ok := reply.([]any)
	if !ok || len(arr) != 3 {
		return nil, 0, fmt.Errorf("%w: liveness reply of type %T", errCorrupt, reply)
	}
	now, ok1 := arr[0].(int64)
	moved, ok2 := arr[1].(int64)
	set, ok3 := arr[2].([]any)
	if !ok1 || !ok2 || !ok3 {
		return nil, 0, fmt.Errorf("%w: liveness reply of types %T, %T, %T", errCorrupt, arr[0], arr[1], arr[2])
	}
	l := &liveness{now: now, moved: moved == 1, expires: make(map[string]int64, len(set)/2)}
	bad := len(set) % 2
	for i := 0; i+1 < len(set); i += 2 {
		id, ok := set[i].(string)
		v, vok := set[i+1].(string)
		if !ok || !vok || !validID(id) {
			bad++
			continue
		}
		e, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad++
			continue
		}
		l.expires[id] = int64(e)
	}
	return l, bad, nil
}
