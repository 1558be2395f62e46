package record

import (
	"encoding/binary"
	"fmt"
	"io"
)

// handshake takes a post-handshake message fragment (RFC 8446, 4.6) and
// acts on every message it completes.
func (l *Layer) handshake(data []byte) error {
	l.hs = append(l.hs, data...)
	for len(l.hs) >= 4 {
		n := int(l.hs[1])<<16 | int(l.hs[2])<<8 | int(l.hs[3])
		if n > maxHandshake {
			return l.fail(alertInternalError, fmt.Errorf("tls: handshake message of length %d bytes exceeds maximum of %d bytes", n, maxHandshake))
		}
		if len(l.hs) < 4+n {
			return nil
		}
		typ, body := l.hs[0], l.hs[4:4+n]
		rest := len(l.hs) - 4 - n
		if err := l.ignored("tls: too many non-advancing records"); err != nil {
			return err
		}
		var err error
		switch typ {
		case msgNewSessionTicket:
			err = l.newSessionTicket(body)
		case msgKeyUpdate:
			err = l.keyUpdate(body, rest)
		default:
			err = l.fail(alertUnexpectedMessage, fmt.Errorf("tls: received unexpected handshake message of type %d", typ))
		}
		if err != nil {
			return err
		}
		l.hs = append(l.hs[:0], l.hs[4+n:]...)
	}
	return nil
}

// newSessionTicket checks a ticket's encoding (RFC 8446, 4.6.1) and drops
// it: libpq keeps no session cache, and a server never receives one.
func (l *Layer) newSessionTicket(b []byte) error {
	if !l.isClient {
		return l.fail(alertUnexpectedMessage, fmt.Errorf("tls: received new session ticket from a client"))
	}
	// lifetime (4), age_add (4), nonce<0..255>, ticket<1..2^16-1>,
	// extensions<0..2^16-2>
	if len(b) < 9 {
		return l.fail(alertDecodeError, nil)
	}
	b = b[8:]
	b, ok := skipVector(b, 1)
	if !ok {
		return l.fail(alertDecodeError, nil)
	}
	if len(b) < 2 || binary.BigEndian.Uint16(b) == 0 {
		return l.fail(alertDecodeError, nil)
	}
	if b, ok = skipVector(b, 2); !ok {
		return l.fail(alertDecodeError, nil)
	}
	if b, ok = skipVector(b, 2); !ok || len(b) != 0 {
		return l.fail(alertDecodeError, nil)
	}
	return nil
}

// skipVector drops a vector with a size prefix of w bytes from b.
func skipVector(b []byte, w int) ([]byte, bool) {
	if len(b) < w {
		return nil, false
	}
	n := int(b[0])
	if w == 2 {
		n = int(binary.BigEndian.Uint16(b))
	}
	if len(b) < w+n {
		return nil, false
	}
	return b[w+n:], true
}

// keyUpdate moves the read direction to its next secret and, if the peer
// asked, answers with a KeyUpdate of our own and moves the write direction
// too (RFC 8446, 4.6.3). rest is what follows the message in the record:
// keys change only at a record boundary.
func (l *Layer) keyUpdate(b []byte, rest int) error {
	if len(b) != 1 || b[0] > 1 {
		return l.fail(alertDecodeError, nil)
	}
	if b[0] == 1 {
		if err := l.updateWrite(&l.replies, false); err != nil {
			return l.fail(alertInternalError, err)
		}
	}
	if rest > 0 {
		return l.fail(alertUnexpectedMessage, fmt.Errorf("tls: handshake buffer not empty before setting read traffic secret"))
	}
	return l.in.setSecret(l.suite, l.suite.nextSecret(l.in.secret))
}

// UpdateKeys appends to dst a KeyUpdate and moves the write direction to
// its next secret; with requestPeer the peer is asked to do the same.
func (l *Layer) UpdateKeys(dst []byte, requestPeer bool) ([]byte, error) {
	if l.err != nil && l.err != io.EOF {
		return dst, l.err
	}
	err := l.updateWrite(&dst, requestPeer)
	return dst, err
}

func (l *Layer) updateWrite(dst *[]byte, requestPeer bool) error {
	req := byte(0)
	if requestPeer {
		req = 1
	}
	rec, err := l.seal(*dst, typeHandshake, []byte{msgKeyUpdate, 0, 0, 1, req})
	if err != nil {
		return err
	}
	*dst = rec
	return l.out.setSecret(l.suite, l.suite.nextSecret(l.out.secret))
}
