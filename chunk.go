package liveview

import (
	"encoding/binary"
	"errors"
)

// A binary frame from the client is one chunk of a file of an announced
// upload (see the package's # Additive keys):
//
//	byte 0      kind: 1 (a chunk)
//	bytes 1-4   upload id, uint32 big-endian, not 0
//	bytes 5-6   file index, uint16 big-endian
//	bytes 7-14  offset of the data in the file, uint64 big-endian
//	bytes 15-   data, at least one byte
const chunkKind = 1

// chunk is one decoded chunk frame. data aliases the frame.
type chunk struct {
	id     uint32
	file   uint16
	offset uint64
	data   []byte
}

// Why decodeChunk refuses a frame.
var (
	errChunkShort = errors.New("chunk frame shorter than its 15-byte header and one byte of data")
	errChunkKind  = errors.New("binary frame of an unknown kind")
	errChunkID    = errors.New("chunk for upload id 0")
)

// decodeChunk decodes a binary frame. It never panics and accepts exactly
// the frames of at least 16 bytes whose kind is 1 and upload id is not 0.
// For a refused frame it still returns the upload id when the frame is
// long enough to hold one (else 0), so that upload can be refused.
func decodeChunk(b []byte) (chunk, error) {
	var ch chunk
	if len(b) >= 5 {
		ch.id = binary.BigEndian.Uint32(b[1:5])
	}
	switch {
	case len(b) > 0 && b[0] != chunkKind:
		return ch, errChunkKind
	case len(b) <= chunkHeaderSize:
		return ch, errChunkShort
	case ch.id == 0:
		return ch, errChunkID
	}
	ch.file = binary.BigEndian.Uint16(b[5:7])
	ch.offset = binary.BigEndian.Uint64(b[7:15])
	ch.data = b[chunkHeaderSize:]
	return ch, nil
}
