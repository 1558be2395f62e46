package record

import "encoding/binary"

// Boundary follows record boundaries in a byte stream, so that whoever
// feeds crypto/tls its handshake can give it no byte past the record it is
// reading. crypto/tls otherwise reads ahead into a buffer no one else can
// see; with Boundary, what it has not taken when the handshake ends is
// exactly the record layer's first input.
type Boundary struct {
	hdr  [headerLen]byte
	seen int // bytes of the current record's header seen
	left int // bytes of the current record's body still to come
}

// Limit returns how many of the next n bytes belong to the current record.
func (b *Boundary) Limit(n int) int {
	if b.seen < headerLen {
		return min(n, headerLen-b.seen)
	}
	return min(n, b.left)
}

// Consume notes that p, no longer than Limit allowed, was passed on.
func (b *Boundary) Consume(p []byte) {
	if b.seen < headerLen {
		b.seen += copy(b.hdr[b.seen:], p)
		if b.seen == headerLen {
			b.left = int(binary.BigEndian.Uint16(b.hdr[3:]))
		}
	} else {
		b.left -= len(p)
	}
	if b.seen == headerLen && b.left == 0 {
		b.seen = 0
	}
}
