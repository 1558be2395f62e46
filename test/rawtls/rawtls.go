// Package rawtls writes TLS 1.3 records by hand, for tests that play a
// hostile peer. crypto/tls completes the handshake and reveals the
// traffic secrets through its key log; a Writer then encrypts records
// with them (RFC 8446 section 5.2), among them the KeyUpdate requests
// that crypto/tls has no API to send.
package rawtls

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
)

// KeyLog collects the secrets crypto/tls writes to Config.KeyLogWriter.
type KeyLog struct {
	mu      sync.Mutex
	secrets map[string][]byte // by label, of the last connection logged
}

func (k *KeyLog) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.secrets == nil {
		k.secrets = map[string][]byte{}
	}
	sc := bufio.NewScanner(bytes.NewReader(p))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		if secret, err := hex.DecodeString(f[2]); err == nil {
			k.secrets[f[0]] = secret
		}
	}
	return len(p), nil
}

// Secret returns a logged secret, e.g. "CLIENT_TRAFFIC_SECRET_0".
func (k *KeyLog) Secret(label string) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.secrets[label]
	if !ok {
		return nil, fmt.Errorf("rawtls: no %s in the key log", label)
	}
	return s, nil
}

// Writer encrypts records for one direction of a TLS 1.3 connection.
// The first record it writes must be the next one that direction sends:
// take over before crypto/tls writes application data (a server needs
// SessionTicketsDisabled, or its ticket takes sequence number 0).
type Writer struct {
	w       io.Writer
	newHash func() hash.Hash
	keyLen  int
	secret  []byte
	aead    cipher.AEAD
	iv      []byte
	seq     uint64
	buf     []byte
}

// NewWriter starts at sequence number 0 of the traffic secret.
func NewWriter(w io.Writer, suite uint16, secret []byte) (*Writer, error) {
	rw := &Writer{w: w, secret: secret}
	switch suite {
	case tls.TLS_AES_128_GCM_SHA256:
		rw.newHash, rw.keyLen = sha256.New, 16
	case tls.TLS_AES_256_GCM_SHA384:
		rw.newHash, rw.keyLen = sha512.New384, 32
	default:
		return nil, fmt.Errorf("rawtls: cipher suite %s is not supported", tls.CipherSuiteName(suite))
	}
	if err := rw.setKeys(); err != nil {
		return nil, err
	}
	return rw, nil
}

func (w *Writer) setKeys() error {
	key, err := expandLabel(w.newHash, w.secret, "key", w.keyLen)
	if err != nil {
		return err
	}
	if w.iv, err = expandLabel(w.newHash, w.secret, "iv", 12); err != nil {
		return err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	w.aead, err = cipher.NewGCM(block)
	w.seq = 0
	return err
}

// expandLabel is HKDF-Expand-Label (RFC 8446 section 7.1) with an empty
// context.
func expandLabel(h func() hash.Hash, secret []byte, label string, length int) ([]byte, error) {
	full := "tls13 " + label
	info := binary.BigEndian.AppendUint16(nil, uint16(length))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, 0) // no context
	return hkdf.Expand(h, secret, string(info), length)
}

const (
	typeHandshake       = 22
	typeApplicationData = 23
	msgKeyUpdate        = 24
)

// seal appends one encrypted record carrying payload of inner type typ.
func (w *Writer) seal(typ byte, payload []byte) {
	inner := append(append([]byte(nil), payload...), typ)
	n := len(inner) + w.aead.Overhead()
	header := []byte{typeApplicationData, 3, 3, byte(n >> 8), byte(n)}
	nonce := append([]byte(nil), w.iv...)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(w.seq >> (8 * i))
	}
	w.seq++
	w.buf = append(w.buf, header...)
	w.buf = w.aead.Seal(w.buf, nonce, inner, header)
}

// Data queues an application data record.
func (w *Writer) Data(p []byte) { w.seal(typeApplicationData, p) }

// KeyUpdate queues a KeyUpdate, with update_requested if request, and
// switches to the next traffic secret as the sender must.
func (w *Writer) KeyUpdate(request bool) error {
	var req byte
	if request {
		req = 1
	}
	w.seal(typeHandshake, []byte{msgKeyUpdate, 0, 0, 1, req})
	next, err := expandLabel(w.newHash, w.secret, "traffic upd", w.newHash().Size())
	if err != nil {
		return err
	}
	w.secret = next
	return w.setKeys()
}

// Flush writes the queued records.
func (w *Writer) Flush() error {
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// Take starts a Writer for the side of c that this process plays, from
// the key log c's Config writes to. Nothing may have been sent on c
// since its handshake.
func Take(c *tls.Conn, raw io.Writer, log *KeyLog, client bool) (*Writer, error) {
	label := "SERVER_TRAFFIC_SECRET_0"
	if client {
		label = "CLIENT_TRAFFIC_SECRET_0"
	}
	secret, err := log.Secret(label)
	if err != nil {
		return nil, err
	}
	cs := c.ConnectionState()
	if cs.Version != tls.VersionTLS13 {
		return nil, fmt.Errorf("rawtls: %s negotiated, TLS 1.3 needed", tls.VersionName(cs.Version))
	}
	return NewWriter(raw, cs.CipherSuite, secret)
}
