package pgcrypto

import (
	"crypto/fips140"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"hash"
	"strings"

	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/blake2s"
	"golang.org/x/crypto/ripemd160"
)

type digestKind struct {
	new      func() hash.Hash
	approved bool // FIPS 140-3
}

func blake2b512() hash.Hash { h, _ := blake2b.New512(nil); return h }
func blake2s256() hash.Hash { h, _ := blake2s.New256(nil); return h }
func sha3Hash(f func() *sha3.SHA3) func() hash.Hash {
	return func() hash.Hash { return f() }
}

// digests are the digests of OpenSSL 3's default provider that Go has,
// under the names and aliases EVP_get_digestbyname accepts (case does not
// matter to it either). MD4, Whirlpool, MDC2 and SM3 are not here: the
// first three need OpenSSL's legacy provider, and Go has none of them.
var digests = map[string]digestKind{
	"md5":          {md5.New, false},
	"ssl3-md5":     {md5.New, false},
	"sha1":         {sha1.New, false},
	"sha-1":        {sha1.New, false},
	"ssl3-sha1":    {sha1.New, false},
	"sha224":       {sha256.New224, true},
	"sha2-224":     {sha256.New224, true},
	"sha-224":      {sha256.New224, true},
	"sha256":       {sha256.New, true},
	"sha2-256":     {sha256.New, true},
	"sha-256":      {sha256.New, true},
	"sha384":       {sha512.New384, true},
	"sha2-384":     {sha512.New384, true},
	"sha-384":      {sha512.New384, true},
	"sha512":       {sha512.New, true},
	"sha2-512":     {sha512.New, true},
	"sha-512":      {sha512.New, true},
	"sha512-224":   {sha512.New512_224, true},
	"sha2-512/224": {sha512.New512_224, true},
	"sha-512/224":  {sha512.New512_224, true},
	"sha512-256":   {sha512.New512_256, true},
	"sha2-512/256": {sha512.New512_256, true},
	"sha-512/256":  {sha512.New512_256, true},
	"sha3-224":     {sha3Hash(sha3.New224), true},
	"sha3-256":     {sha3Hash(sha3.New256), true},
	"sha3-384":     {sha3Hash(sha3.New384), true},
	"sha3-512":     {sha3Hash(sha3.New512), true},
	"blake2b512":   {blake2b512, false},
	"blake2s256":   {blake2s256, false},
	"ripemd160":    {ripemd160.New, false},
	"ripemd-160":   {ripemd160.New, false},
	"ripemd":       {ripemd160.New, false},
	"rmd160":       {ripemd160.New, false},
}

// NewDigest returns the digest OpenSSL knows by name. ErrUnknown says
// pgcrypto should report "No such hash algorithm"; ErrNotApproved, that
// FIPS 140-3 mode with enforcement refuses it.
func NewDigest(name string) (hash.Hash, error) {
	d, ok := digests[strings.ToLower(name)]
	if !ok {
		return nil, ErrUnknown
	}
	if fips140.Enforced() && !d.approved {
		return nil, ErrNotApproved
	}
	return d.new(), nil
}
