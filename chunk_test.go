package liveview

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// appendChunkHeader appends the header of a chunk of file index of upload
// id at offset: decodeChunk's format, as the clients write it.
func appendChunkHeader(b []byte, id uint32, file uint16, offset uint64) []byte {
	b = append(b, chunkKind)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint16(b, file)
	return binary.BigEndian.AppendUint64(b, offset)
}

func TestDecodeChunk(t *testing.T) {
	good := append(appendChunkHeader(nil, 7, 2, 122880), "data"...)
	tests := []struct {
		name  string
		frame []byte
		want  error
		id    uint32
	}{
		{"chunk", good, nil, 7},
		{"one byte of data", append(appendChunkHeader(nil, 1, 0, 0), 'x'), nil, 1},
		{"empty", nil, errChunkShort, 0},
		{"kind only", []byte{1}, errChunkShort, 0},
		{"short, id readable", good[:9], errChunkShort, 7},
		{"header without data", good[:15], errChunkShort, 7},
		{"kind 0", append([]byte{0}, good[1:]...), errChunkKind, 7},
		{"kind 2", append([]byte{2}, good[1:]...), errChunkKind, 7},
		{"kind 2, short", []byte{2}, errChunkKind, 0},
		{"id 0", append(appendChunkHeader(nil, 0, 0, 0), 'x'), errChunkID, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := decodeChunk(tt.frame)
			if err != tt.want || ch.id != tt.id {
				t.Fatalf("decodeChunk: id %d, err %v; want id %d, err %v", ch.id, err, tt.id, tt.want)
			}
			if err == nil && (ch.file != binary.BigEndian.Uint16(tt.frame[5:]) || !bytes.Equal(ch.data, tt.frame[15:])) {
				t.Fatalf("decodeChunk: %+v", ch)
			}
		})
	}
	ch, _ := decodeChunk(good)
	if ch.file != 2 || ch.offset != 122880 || string(ch.data) != "data" {
		t.Fatalf("fields: %+v", ch)
	}
}

// FuzzChunk: decodeChunk never panics, accepts exactly the well-formed
// frames (at least 16 bytes, kind 1, id not 0) and decodes them as the
// encoder wrote them.
func FuzzChunk(f *testing.F) {
	f.Add(append(appendChunkHeader(nil, 7, 0, 0), "hello"...))
	f.Add(append(appendChunkHeader(nil, 0xffffffff, 0xffff, 1<<63), 0))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 7})
	f.Add([]byte{2, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Add(appendChunkHeader(nil, 1, 0, 0))
	f.Fuzz(func(t *testing.T, frame []byte) {
		ch, err := decodeChunk(frame)
		wellFormed := len(frame) > chunkHeaderSize && frame[0] == chunkKind && binary.BigEndian.Uint32(frame[1:5]) != 0
		if wellFormed != (err == nil) {
			t.Fatalf("%x: err %v, well-formed %v", frame, err, wellFormed)
		}
		if len(frame) >= 5 && ch.id != binary.BigEndian.Uint32(frame[1:5]) {
			t.Fatalf("%x: id %d", frame, ch.id)
		}
		if err != nil {
			if ch.data != nil {
				t.Fatalf("%x: refused with data", frame)
			}
			return
		}
		again := append(appendChunkHeader(nil, ch.id, ch.file, ch.offset), ch.data...)
		if !bytes.Equal(again, frame) || len(ch.data) == 0 {
			t.Fatalf("%x: decoded %+v, encodes as %x", frame, ch, again)
		}
	})
}
