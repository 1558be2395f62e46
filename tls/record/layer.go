// Package record is a TLS 1.3 record layer (RFC 8446, section 5) for a
// connection whose handshake crypto/tls has completed. It takes over with
// the traffic secrets the handshake produced, and keeps in plain fields all
// that another process, or the kernel, needs to carry the same session on:
// the suite, each direction's secret and sequence number, and the bytes
// received but not yet delivered (State).
//
// It does no I/O. The caller reads ciphertext into ReadSpace and reports it
// with Received, takes plaintext with Read, and sends what Seal, Close and
// TakeReplies append to its output. Its answers to the peer are those of
// crypto/tls: the same alerts, errors of the same types and wording, and
// the same bound on records that carry no data.
package record

import (
	"crypto/cipher"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
)

const (
	headerLen     = 5
	ivLen         = 12
	maxPlaintext  = 16384              // RFC 8446, 5.1
	maxCiphertext = maxPlaintext + 256 // RFC 8446, 5.2
	maxRecord     = headerLen + maxCiphertext

	// crypto/tls's bounds, kept so that a peer meets the same limits
	// whichever layer carries the session.
	maxHandshake = 65536 // a post-handshake message
	maxUseless   = 16    // consecutive records that deliver no data

	typeChangeCipherSpec = 20
	typeAlert            = 21
	typeHandshake        = 22
	typeApplicationData  = 23

	msgNewSessionTicket = 4
	msgKeyUpdate        = 24

	alertCloseNotify            = 0
	alertUnexpectedMessage      = 10
	alertBadRecordMAC           = 20
	alertRecordOverflow         = 22
	alertInternalError          = 80
	alertUserCanceled           = 90
	alertDecodeError            = 50
	alertProtocolVersion        = 70
	alertLevelWarning      byte = 1
	alertLevelFatal        byte = 2
)

// ErrNeedInput is returned by Read when no complete record is buffered:
// read more ciphertext into ReadSpace. It is not an error of the session.
var ErrNeedInput = errors.New("record: need more input")

// direction is one way of the connection: its traffic secret, the key
// and IV derived from it, and the next record's sequence number.
type direction struct {
	secret []byte
	aead   cipher.AEAD
	iv     [ivLen]byte
	seq    uint64
	nonce  [ivLen]byte // scratch
}

// setSecret switches the direction to a traffic secret; sequence numbers
// start again at zero with each key (RFC 8446, 5.3).
func (d *direction) setSecret(s *suite, secret []byte) error {
	aead, iv, err := s.trafficKey(secret)
	if err != nil {
		return err
	}
	d.secret, d.aead, d.iv, d.seq = secret, aead, iv, 0
	return nil
}

// nextNonce returns the per-record nonce (RFC 8446, 5.3) and advances the
// sequence number. A sequence number never wraps: the connection ends.
func (d *direction) nextNonce() ([]byte, error) {
	if d.seq == ^uint64(0) {
		return nil, errors.New("tls: sequence number wraparound")
	}
	d.nonce = d.iv
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], d.seq)
	for i, b := range seq {
		d.nonce[ivLen-8+i] ^= b
	}
	d.seq++
	return d.nonce[:], nil
}

// Layer is the record layer of one established TLS 1.3 connection. It is
// not safe for concurrent use.
type Layer struct {
	suite    *suite
	isClient bool
	in, out  direction

	// buf holds the input: buf[pStart:pEnd] is plaintext not yet
	// delivered, buf[cStart:cEnd] ciphertext not yet decrypted, and
	// pEnd <= cStart. Records are decrypted in place.
	buf                        []byte
	pStart, pEnd, cStart, cEnd int

	hs      []byte // an incomplete post-handshake message
	useless int    // records in a row that delivered no data
	replies []byte // records reading produced for the peer, not yet taken
	err     error  // the first permanent error, returned ever after
}

// InputSize is the size of a layer's input buffer: two records, so that
// one read can take in the rest of a record and the next one.
const InputSize = 2 * maxRecord

// New starts a record layer from st: from the state another layer
// returned, or from a handshake's secrets (Takeover).
func New(st State) (*Layer, error) { return NewWithInput(st, nil) }

// NewWithInput is New with the input buffer given: InputSize bytes that
// stay valid for the layer's life, such as C memory that C code reads the
// socket into (ReadSpace). A nil buf is allocated.
func NewWithInput(st State, buf []byte) (*Layer, error) {
	if buf == nil {
		buf = make([]byte, InputSize)
	}
	if len(buf) != InputSize {
		return nil, fmt.Errorf("record: an input buffer of %d bytes, not %d", len(buf), InputSize)
	}
	s := suiteByID(st.Suite)
	if s == nil {
		return nil, fmt.Errorf("record: cipher suite %#04x is not a TLS 1.3 suite", st.Suite)
	}
	if n := s.hash().Size(); len(st.ReadSecret) != n || len(st.WriteSecret) != n {
		return nil, fmt.Errorf("record: %s needs traffic secrets of %d bytes", tls.CipherSuiteName(st.Suite), n)
	}
	l := &Layer{suite: s, isClient: st.Client, buf: buf}
	if len(st.Plaintext)+len(st.Input) > len(l.buf) || len(st.Handshake) > maxHandshake+4 || st.Useless < 0 || st.Useless > maxUseless {
		return nil, errors.New("record: the state holds more than a layer can")
	}
	if err := l.in.setSecret(s, slices.Clone(st.ReadSecret)); err != nil {
		return nil, err
	}
	if err := l.out.setSecret(s, slices.Clone(st.WriteSecret)); err != nil {
		return nil, err
	}
	l.in.seq, l.out.seq = st.ReadSeq, st.WriteSeq
	l.pEnd = copy(l.buf, st.Plaintext)
	l.cStart = l.pEnd
	l.cEnd = l.cStart + copy(l.buf[l.cStart:], st.Input)
	l.hs = slices.Clone(st.Handshake)
	l.useless = st.Useless
	return l, nil
}

// ReadSpace returns where the caller should read ciphertext into; report
// what was read with Received. It is empty while plaintext is waiting or
// a complete record is buffered, since Read needs no input then.
func (l *Layer) ReadSpace() []byte {
	if l.pStart < l.pEnd || l.completeRecord() {
		return nil
	}
	if l.cStart > 0 {
		l.cEnd = copy(l.buf, l.buf[l.cStart:l.cEnd])
		l.cStart, l.pStart, l.pEnd = 0, 0, 0
	}
	return l.buf[l.cEnd:]
}

// Received records that n bytes were read into ReadSpace.
func (l *Layer) Received(n int) { l.cEnd += n }

// Buffered reports how many bytes of input (ciphertext and undelivered
// plaintext) the layer holds.
func (l *Layer) Buffered() int { return l.pEnd - l.pStart + l.cEnd - l.cStart }

func (l *Layer) completeRecord() bool {
	avail := l.cEnd - l.cStart
	if avail < headerLen {
		return false
	}
	n := int(binary.BigEndian.Uint16(l.buf[l.cStart+3:]))
	return avail >= headerLen+n || n > maxCiphertext // an oversized one fails at once
}

// Ready reports how much plaintext Read returns without more input, and
// whether a complete record waits to be decrypted (then Pending may find
// more).
func (l *Layer) Ready() (plaintext int, recordWaiting bool) {
	return l.pEnd - l.pStart, l.completeRecord()
}

// Read copies plaintext into b. It returns ErrNeedInput when no complete
// record is buffered, io.EOF after the peer's close_notify, and any other
// error for good.
func (l *Layer) Read(b []byte) (int, error) {
	for l.pStart == l.pEnd {
		if l.err != nil {
			return 0, l.err
		}
		if !l.completeRecord() {
			return 0, ErrNeedInput
		}
		if err := l.openRecord(); err != nil {
			return 0, err
		}
	}
	n := copy(b, l.buf[l.pStart:l.pEnd])
	l.pStart += n
	return n, nil
}

// Pending decrypts every complete record buffered and returns how many
// bytes of plaintext Read can return without more input. An error is
// kept for the next Read.
func (l *Layer) Pending() int {
	for l.err == nil && l.completeRecord() {
		_ = l.openRecord()
	}
	return l.pEnd - l.pStart
}

// openRecord decrypts the record at cStart in place and acts on it.
func (l *Layer) openRecord() error {
	hdr := l.buf[l.cStart : l.cStart+headerLen]
	n := int(binary.BigEndian.Uint16(hdr[3:]))
	if v := binary.BigEndian.Uint16(hdr[1:]); v != tls.VersionTLS12 {
		return l.fail(alertProtocolVersion, tls.RecordHeaderError{
			Msg:          fmt.Sprintf("received record with version %x when expecting version %x", v, tls.VersionTLS12),
			RecordHeader: [5]byte(hdr),
		})
	}
	if n > maxCiphertext {
		return l.fail(alertRecordOverflow, tls.RecordHeaderError{
			Msg:          fmt.Sprintf("oversized record received with length %d", n),
			RecordHeader: [5]byte(hdr),
		})
	}
	bodyStart := l.cStart + headerLen
	body := l.buf[bodyStart : bodyStart+n]
	outer := hdr[0]
	l.cStart += headerLen + n

	// A change_cipher_spec record is ignored, unencrypted, in TLS 1.3
	// (RFC 8446, D.4), as crypto/tls does after the handshake too.
	if outer == typeChangeCipherSpec {
		if n != 1 || body[0] != 1 {
			return l.fail(alertDecodeError, nil)
		}
		if len(l.hs) > 0 {
			return l.fail(alertUnexpectedMessage, nil)
		}
		return l.ignored("tls: too many ignored records")
	}
	if outer != typeApplicationData {
		return l.fail(alertUnexpectedMessage, nil)
	}
	nonce, err := l.in.nextNonce()
	if err != nil {
		return l.fail(alertInternalError, err)
	}
	plain, err := l.in.aead.Open(body[:0], nonce, body, hdr)
	if err != nil {
		return l.fail(alertBadRecordMAC, nil)
	}
	if len(plain) > maxPlaintext+1 {
		return l.fail(alertRecordOverflow, nil)
	}
	// The content type is the last non-zero byte; zeros after it pad.
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 {
		return l.fail(alertUnexpectedMessage, nil)
	}
	typ, plain := plain[i], plain[:i]
	if typ != typeHandshake && len(l.hs) > 0 {
		return l.fail(alertUnexpectedMessage, nil) // RFC 8446, 5.1: no interleaving
	}

	switch typ {
	case typeApplicationData:
		if len(plain) == 0 {
			return l.ignored("tls: too many ignored records")
		}
		l.useless = 0
		l.deliver(bodyStart, len(plain))
		return nil
	case typeAlert:
		return l.alert(plain)
	case typeHandshake:
		if len(plain) == 0 {
			return l.fail(alertUnexpectedMessage, nil)
		}
		return l.handshake(plain)
	default:
		return l.fail(alertUnexpectedMessage, nil)
	}
}

// deliver makes the n bytes of plaintext at buf[off:] (before cStart) the
// next that Read returns, after any still waiting.
func (l *Layer) deliver(off, n int) {
	if l.pStart == l.pEnd {
		l.pStart, l.pEnd = off, off+n
		return
	}
	l.pEnd += copy(l.buf[l.pEnd:], l.buf[off:off+n])
}

// ignored counts a record that delivered nothing; crypto/tls gives up
// after maxUseless of them in a row.
func (l *Layer) ignored(msg string) error {
	l.useless++
	if l.useless > maxUseless {
		return l.fail(alertUnexpectedMessage, errors.New(msg))
	}
	return nil
}

// alert acts on an alert from the peer (RFC 8446, 6).
func (l *Layer) alert(data []byte) error {
	if len(data) != 2 {
		return l.fail(alertUnexpectedMessage, nil)
	}
	switch data[1] {
	case alertCloseNotify:
		l.err = io.EOF
		return l.err
	case alertUserCanceled:
		// A TLS 1.3 peer should follow it with close_notify; crypto/tls
		// drops it, as BoringSSL and NSS do.
		return l.ignored("tls: too many ignored records")
	}
	l.err = &net.OpError{Op: "remote error", Err: tls.AlertError(data[1])}
	return l.err
}

// fail ends the session: it queues the alert for the peer and keeps err,
// or a local error naming the alert when err is nil, as crypto/tls does.
func (l *Layer) fail(alert uint8, err error) error {
	if l.err != nil {
		return l.err
	}
	l.sendAlert(alertLevelFatal, alert)
	if err == nil {
		err = &net.OpError{Op: "local error", Err: tls.AlertError(alert)}
	}
	l.err = err
	return err
}

func (l *Layer) sendAlert(level, desc byte) {
	rec, err := l.seal(l.replies, typeAlert, []byte{level, desc})
	if err == nil {
		l.replies = rec
	}
}

// TakeReplies appends to dst the records reading produced for the peer
// (KeyUpdate answers, alerts) and forgets them.
func (l *Layer) TakeReplies(dst []byte) []byte {
	if len(l.replies) == 0 {
		return dst
	}
	dst = append(dst, l.replies...)
	l.replies = l.replies[:0]
	return dst
}

// Seal appends to dst the records that carry p, of at most maxPlaintext
// bytes each.
func (l *Layer) Seal(dst, p []byte) ([]byte, error) {
	if l.err != nil && l.err != io.EOF {
		return dst, l.err
	}
	for len(p) > 0 {
		n := min(len(p), maxPlaintext)
		var err error
		if dst, err = l.seal(dst, typeApplicationData, p[:n]); err != nil {
			return dst, err
		}
		p = p[n:]
	}
	return dst, nil
}

// CloseNotify appends the close_notify alert to dst.
func (l *Layer) CloseNotify(dst []byte) []byte {
	rec, err := l.seal(dst, typeAlert, []byte{alertLevelWarning, alertCloseNotify})
	if err != nil {
		return dst
	}
	return rec
}

// seal appends one record of type typ carrying p to dst, encrypted in
// place: header, p, the type byte, then the AEAD's tag.
func (l *Layer) seal(dst []byte, typ byte, p []byte) ([]byte, error) {
	nonce, err := l.out.nextNonce()
	if err != nil {
		return dst, err
	}
	n := len(p) + 1 + l.out.aead.Overhead()
	start := len(dst)
	if cap(dst)-start < headerLen+n {
		grown := make([]byte, start, start+headerLen+n+(start+headerLen+n)/2)
		copy(grown, dst)
		dst = grown
	}
	dst = append(dst, typeApplicationData, 3, 3, byte(n>>8), byte(n))
	dst = append(dst, p...)
	dst = append(dst, typ)
	body := dst[start+headerLen:]
	l.out.aead.Seal(body[:0], nonce, body, dst[start:start+headerLen])
	return dst[:start+headerLen+n], nil
}
