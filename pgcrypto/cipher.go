package pgcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/fips140"

	"golang.org/x/crypto/blowfish"
	"golang.org/x/crypto/cast5"
)

// A cipherKind is one of pgcrypto's cipher names (after its aliases).
type cipherKind struct {
	block    func(key []byte) (cipher.Block, error)
	mode     mode
	blockLen int                          // also the IV's length
	maxKey   int                          // what pgcrypto's key_size reports
	key      func([]byte) ([]byte, error) // the key the cipher gets, from the caller's
	approved bool                         // FIPS 140-3
}

type mode int

const (
	ecb mode = iota
	cbc
	cfb
)

// The ciphers of pgcrypto's openssl.c, with its key rules.
var ciphers = map[string]cipherKind{
	"bf-ecb":    {newBlowfish, ecb, 8, 56, exactKey, false},
	"bf-cbc":    {newBlowfish, cbc, 8, 56, exactKey, false},
	"bf-cfb":    {newBlowfish, cfb, 8, 56, exactKey, false},
	"des-ecb":   {newDES, ecb, 8, 8, fixedKey(8), false},
	"des-cbc":   {newDES, cbc, 8, 8, fixedKey(8), false},
	"des3-ecb":  {newDES3, ecb, 8, 24, fixedKey(24), false},
	"des3-cbc":  {newDES3, cbc, 8, 24, fixedKey(24), false},
	"cast5-ecb": {newCAST5, ecb, 8, 16, exactKey, false},
	"cast5-cbc": {newCAST5, cbc, 8, 16, exactKey, false},
	"aes-ecb":   {aes.NewCipher, ecb, 16, 32, aesKey, true},
	"aes-cbc":   {aes.NewCipher, cbc, 16, 32, aesKey, true},
	"aes-cfb":   {aes.NewCipher, cfb, 16, 32, aesKey, false}, // Go refuses CFB in FIPS mode
}

func newBlowfish(key []byte) (cipher.Block, error) { return blowfish.NewCipher(key) }
func newDES(key []byte) (cipher.Block, error)      { return des.NewCipher(key) }
func newDES3(key []byte) (cipher.Block, error)     { return des.NewTripleDESCipher(key) }

// newCAST5 takes 128-bit keys only: golang.org/x/crypto/cast5 has no
// 12-round variant, which RFC 2144 prescribes for keys of 80 bits or
// less, and OpenSSL pads keys of 81 to 127 bits with zeros as RFC 2144
// does. So shorter keys are zero-padded when over 80 bits and refused
// otherwise (docs/pgcrypto.md).
func newCAST5(key []byte) (cipher.Block, error) {
	if len(key) <= 10 || len(key) > 16 {
		return nil, ErrInit
	}
	padded := make([]byte, 16)
	copy(padded, key)
	return cast5.NewCipher(padded)
}

func exactKey(key []byte) ([]byte, error) { return key, nil }

// fixedKey truncates or zero-pads, as openssl.c's DES inits do.
func fixedKey(n int) func([]byte) ([]byte, error) {
	return func(key []byte) ([]byte, error) {
		k := make([]byte, n)
		copy(k, key)
		return k, nil
	}
}

// aesKey zero-pads to the next AES key size.
func aesKey(key []byte) ([]byte, error) {
	for _, n := range []int{16, 24, 32} {
		if len(key) <= n {
			k := make([]byte, n)
			copy(k, key)
			return k, nil
		}
	}
	return nil, ErrKeyTooBig
}

// CipherSizes reports a cipher's block size (also its IV size) and the
// largest key it takes.
func CipherSizes(name string) (blockSize, maxKey int, err error) {
	k, ok := ciphers[name]
	if !ok {
		return 0, 0, ErrUnknown
	}
	return k.blockLen, k.maxKey, nil
}

// A Cipher encrypts or decrypts, one direction for its life, as an
// OpenSSL EVP_CIPHER_CTX initialised once by pgcrypto does: each Crypt is
// an update and a final, and CBC chaining and CFB feedback carry over to
// the next Crypt.
type Cipher struct {
	block   cipher.Block
	mode    mode
	decrypt bool
	padding bool
	blocks  cipher.BlockMode // ECB and CBC
	stream  cipher.Stream    // CFB
}

// NewCipher prepares name with key and iv (nil for zeros; otherwise the
// block size long). Keys are taken as openssl.c takes them: DES keys
// truncated or zero-padded, AES keys zero-padded to the next size
// (ErrKeyTooBig over 256 bits), Blowfish and CAST5 keys as they are.
func NewCipher(name string, key, iv []byte, decrypt, padding bool) (*Cipher, error) {
	k, ok := ciphers[name]
	if !ok {
		return nil, ErrUnknown
	}
	if fips140.Enforced() && !k.approved {
		return nil, ErrNotApproved
	}
	key, err := k.key(key)
	if err != nil {
		return nil, err
	}
	b, err := k.block(key)
	if err != nil {
		return nil, ErrInit
	}
	c := &Cipher{block: b, mode: k.mode, decrypt: decrypt, padding: padding && k.mode != cfb}
	ivBytes := make([]byte, b.BlockSize())
	if iv != nil {
		if len(iv) != len(ivBytes) {
			return nil, ErrInit
		}
		copy(ivBytes, iv)
	}
	switch {
	case k.mode == ecb:
		c.blocks = ecbMode{b, decrypt}
	case k.mode == cbc && decrypt:
		c.blocks = cipher.NewCBCDecrypter(b, ivBytes)
	case k.mode == cbc:
		c.blocks = cipher.NewCBCEncrypter(b, ivBytes)
	case decrypt:
		c.stream = cipher.NewCFBDecrypter(b, ivBytes) //nolint:staticcheck // OpenSSL's CFB, which pgcrypto offers
	default:
		c.stream = cipher.NewCFBEncrypter(b, ivBytes) //nolint:staticcheck
	}
	return c, nil
}

// OutputSize is the most Crypt writes for n bytes of input.
func (c *Cipher) OutputSize(n int) int { return n + c.block.BlockSize() }

// Crypt encrypts or decrypts src into dst, which must hold
// OutputSize(len(src)) bytes, and returns the length written. Without
// padding, ECB and CBC need whole blocks; with it, encryption adds PKCS#7
// padding and decryption checks and removes it.
func (c *Cipher) Crypt(dst, src []byte) (int, error) {
	fail := ErrEncrypt
	if c.decrypt {
		fail = ErrDecrypt
	}
	if len(dst) < c.OutputSize(len(src)) {
		return 0, fail
	}
	if c.mode == cfb {
		c.stream.XORKeyStream(dst, src)
		return len(src), nil
	}
	bs := c.block.BlockSize()
	whole := len(src) - len(src)%bs
	switch {
	case c.decrypt && c.padding && (len(src) == 0 || whole != len(src)):
		return 0, fail
	case !c.padding && whole != len(src):
		return 0, fail
	}
	c.blocks.CryptBlocks(dst[:whole], src[:whole])
	switch {
	case !c.padding:
		return whole, nil
	case c.decrypt:
		return unpad(dst[:whole], bs)
	}
	// The last block: what is left of src, padded with its length.
	last := make([]byte, bs)
	n := copy(last, src[whole:])
	for i := n; i < bs; i++ {
		last[i] = byte(bs - n)
	}
	c.blocks.CryptBlocks(dst[whole:whole+bs], last)
	return whole + bs, nil
}

// ecbMode is ECB, which crypto/cipher leaves out: each block on its own.
type ecbMode struct {
	b       cipher.Block
	decrypt bool
}

func (m ecbMode) BlockSize() int { return m.b.BlockSize() }

func (m ecbMode) CryptBlocks(dst, src []byte) {
	bs := m.b.BlockSize()
	for off := 0; off < len(src); off += bs {
		if m.decrypt {
			m.b.Decrypt(dst[off:off+bs], src[off:off+bs])
		} else {
			m.b.Encrypt(dst[off:off+bs], src[off:off+bs])
		}
	}
}

// unpad checks PKCS#7 padding as OpenSSL's EVP_DecryptFinal does.
func unpad(b []byte, bs int) (int, error) {
	n := int(b[len(b)-1])
	if n == 0 || n > bs {
		return 0, ErrDecrypt
	}
	for _, v := range b[len(b)-n:] {
		if int(v) != n {
			return 0, ErrDecrypt
		}
	}
	return len(b) - n, nil
}
