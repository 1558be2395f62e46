package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// suite is what the record layer needs of a TLS 1.3 cipher suite: its
// hash (for HKDF) and its AEAD.
type suite struct {
	id     uint16
	hash   func() hash.Hash
	keyLen int
	aead   func(key []byte) (cipher.AEAD, error)
}

// The three suites crypto/tls negotiates in TLS 1.3 (RFC 8446, B.4).
var suites = []*suite{
	{tls.TLS_AES_128_GCM_SHA256, sha256.New, 16, newAESGCM},
	{tls.TLS_AES_256_GCM_SHA384, sha512.New384, 32, newAESGCM},
	{tls.TLS_CHACHA20_POLY1305_SHA256, sha256.New, 32, chacha20poly1305.New},
}

func suiteByID(id uint16) *suite {
	for _, s := range suites {
		if s.id == id {
			return s
		}
	}
	return nil
}

func newAESGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// expandLabel is HKDF-Expand-Label (RFC 8446, 7.1) with an empty context,
// the only form the record layer uses.
func (s *suite) expandLabel(secret []byte, label string, length int) []byte {
	const prefix = "tls13 "
	info := make([]byte, 0, 4+len(prefix)+len(label))
	info = append(info, byte(length>>8), byte(length), byte(len(prefix)+len(label)))
	info = append(info, prefix...)
	info = append(info, label...)
	info = append(info, 0) // an empty context
	out, err := hkdf.Expand(s.hash, secret, string(info), length)
	if err != nil {
		panic("record: HKDF-Expand-Label: " + err.Error()) // only for lengths the suites never ask
	}
	return out
}

// trafficKey derives the AEAD and the IV of a traffic secret (RFC 8446, 7.3).
func (s *suite) trafficKey(secret []byte) (cipher.AEAD, [ivLen]byte, error) {
	var iv [ivLen]byte
	aead, err := s.aead(s.expandLabel(secret, "key", s.keyLen))
	if err != nil {
		return nil, iv, err
	}
	copy(iv[:], s.expandLabel(secret, "iv", ivLen))
	return aead, iv, nil
}

// nextSecret is the traffic secret after a KeyUpdate (RFC 8446, 7.2).
func (s *suite) nextSecret(secret []byte) []byte {
	return s.expandLabel(secret, "traffic upd", s.hash().Size())
}
