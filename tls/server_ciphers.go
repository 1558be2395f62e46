package pgtls

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// ssl_ciphers is an OpenSSL cipher string, evaluated here over the TLS 1.2
// suites crypto/tls implements, with OpenSSL's rules:
//
//   - elements are separated by ':', ',', ';' or spaces;
//   - a suite name (ECDHE-RSA-AES256-GCM-SHA384) or keyword (HIGH, ALL,
//     ECDHE, aRSA, AESGCM, SHA256, TLSv1.2...) adds what it matches, and
//     KEY1+KEY2 matches what both match;
//   - "-x" removes what x matches, "!x" removes it for good, and a string
//     starting with DEFAULT starts from the default set;
//   - words that match nothing here (MEDIUM, 3DES, RC4, aNULL, NULL-MD5,
//     CAMELLIA, DHE, a misspelling) select nothing, as for OpenSSL;
//   - order does not matter: crypto/tls picks the suite by its own
//     preference (AES-GCM or ChaCha20 depending on hardware, then the
//     rest), so "+x" and @STRENGTH change nothing and are accepted, and so
//     is @SECLEVEL=n.
//
// Two choices differ from OpenSSL 3, on the side of safety:
//
//   - 3DES and RC4 suites are never enabled, as with an OpenSSL built
//     without enable-weak-ssl-ciphers (the usual build).
//   - Keywords enable only the suites crypto/tls considers secure
//     (tls.CipherSuites: ECDHE with AES-GCM, ChaCha20-Poly1305 or
//     AES-CBC-SHA). The others it implements (RSA key exchange, AES-CBC
//     with SHA-256) are enabled only when named one by one. So the default
//     "HIGH:MEDIUM:+3DES:!aNULL" gives the ECDHE suites only.

// Attributes of a suite, one bit each; a keyword matches a suite that has
// any of its bits, as OpenSSL's aliases match within one category.
const (
	kRSA uint32 = 1 << iota
	kECDHE
	aRSA
	aECDSA
	encAES128
	encAES256
	encAESGCM
	encCHACHA20
	macSHA1
	macSHA256
	macSHA384
	macAEAD
	protoSSLv3  // usable from SSLv3 on: OpenSSL's "SSLv3" keyword
	protoTLSv1  // from TLS 1.0
	protoTLSv12 // TLS 1.2 only

	attrAll = 1<<iota - 1
)

// tls12Suites are the suites ssl_ciphers chooses from.
var tls12Suites = []struct {
	id    uint16
	attrs uint32
}{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, kECDHE | aECDSA | encAES256 | encAESGCM | macAEAD | protoTLSv12},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, kECDHE | aRSA | encAES256 | encAESGCM | macAEAD | protoTLSv12},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, kECDHE | aECDSA | encCHACHA20 | macAEAD | protoTLSv12},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, kECDHE | aRSA | encCHACHA20 | macAEAD | protoTLSv12},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, kECDHE | aECDSA | encAES128 | encAESGCM | macAEAD | protoTLSv12},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, kECDHE | aRSA | encAES128 | encAESGCM | macAEAD | protoTLSv12},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, kECDHE | aECDSA | encAES128 | macSHA256 | protoTLSv12},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, kECDHE | aRSA | encAES128 | macSHA256 | protoTLSv12},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, kECDHE | aECDSA | encAES256 | macSHA1 | protoTLSv1},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, kECDHE | aRSA | encAES256 | macSHA1 | protoTLSv1},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, kECDHE | aECDSA | encAES128 | macSHA1 | protoTLSv1},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, kECDHE | aRSA | encAES128 | macSHA1 | protoTLSv1},
	{tls.TLS_RSA_WITH_AES_256_GCM_SHA384, kRSA | aRSA | encAES256 | encAESGCM | macAEAD | protoTLSv12},
	{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, kRSA | aRSA | encAES128 | encAESGCM | macAEAD | protoTLSv12},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA256, kRSA | aRSA | encAES128 | macSHA256 | protoTLSv12},
	{tls.TLS_RSA_WITH_AES_256_CBC_SHA, kRSA | aRSA | encAES256 | macSHA1 | protoSSLv3},
	{tls.TLS_RSA_WITH_AES_128_CBC_SHA, kRSA | aRSA | encAES128 | macSHA1 | protoSSLv3},
}

// cipherKeywords are the OpenSSL aliases that can match one of
// tls12Suites. Any other word matches nothing.
var cipherKeywords = map[string]uint32{
	"ALL": attrAll, "HIGH": attrAll, "FIPS": encAES128 | encAES256,
	"kRSA": kRSA, "RSA": kRSA, "aRSA": aRSA,
	"kECDHE": kECDHE, "kEECDH": kECDHE, "ECDHE": kECDHE, "EECDH": kECDHE, "ECDH": kECDHE,
	"aECDSA": aECDSA, "ECDSA": aECDSA,
	"AES": encAES128 | encAES256, "AES128": encAES128, "AES256": encAES256,
	"AESGCM": encAESGCM, "CHACHA20": encCHACHA20,
	"SHA1": macSHA1, "SHA": macSHA1, "SHA256": macSHA256, "SHA384": macSHA384,
	"TLSv1.2": protoTLSv12, "TLSv1": protoTLSv1, "TLSv1.0": protoTLSv1, "SSLv3": protoSSLv3,
}

// suiteSet is a set of tls12Suites, by index.
type suiteSet uint32

// secureSuites are the tls12Suites that keywords may enable.
var secureSuites = func() suiteSet {
	var set suiteSet
	for i, s := range tls12Suites {
		if slices.ContainsFunc(tls.CipherSuites(), func(c *tls.CipherSuite) bool { return c.ID == s.id }) {
			set |= 1 << i
		}
	}
	return set
}()

// matchWord returns the suites a keyword or suite name matches, and
// whether it was a suite name.
func matchWord(word string) (suiteSet, bool) {
	for i, s := range tls12Suites {
		if cipherNames[s.id].openssl == word {
			return 1 << i, true
		}
	}
	mask := cipherKeywords[word]
	var set suiteSet
	for i, s := range tls12Suites {
		if s.attrs&mask != 0 {
			set |= 1 << i
		}
	}
	return set, false
}

// isCipherWordChar is what OpenSSL accepts inside a word.
func isCipherWordChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '='
}

// parseCipherString evaluates ssl_ciphers and returns the suites for
// tls.Config.CipherSuites, in tls12Suites order.
func parseCipherString(str string) ([]uint16, error) {
	var active, killed suiteSet
	rest := str
	// As in OpenSSL, DEFAULT is special only at the start.
	if r, ok := strings.CutPrefix(rest, "DEFAULT"); ok {
		active = secureSuites
		rest = strings.TrimPrefix(r, ":")
	}
	for len(rest) > 0 {
		c := rest[0]
		if c == ':' || c == ',' || c == ';' || c == ' ' {
			rest = rest[1:]
			continue
		}
		op := byte(0)
		if c == '-' || c == '+' || c == '!' || c == '@' {
			op, rest = c, rest[1:]
		}
		// One element: WORD or WORD+WORD+...
		var words []string
		for {
			n := 0
			for n < len(rest) && isCipherWordChar(rest[n]) {
				n++
			}
			if n == 0 {
				return nil, cipherListError(str, invalidCipherChar(rest))
			}
			words = append(words, rest[:n])
			rest = rest[n:]
			if len(rest) == 0 || rest[0] != '+' {
				break
			}
			rest = rest[1:]
		}
		if op == '@' {
			if w := words[0]; len(words) != 1 || w != "STRENGTH" && !strings.HasPrefix(w, "SECLEVEL=") {
				return nil, cipherListError(str, fmt.Sprintf("unknown command \"@%s\"", strings.Join(words, "+")))
			}
			continue // ordering and security levels: see above
		}
		match, named := matchWord(words[0])
		for _, w := range words[1:] {
			m, _ := matchWord(w)
			match &= m
			named = false
		}
		switch op {
		case 0:
			if !named {
				match &= secureSuites
			}
			active |= match &^ killed
		case '-':
			active &^= match
		case '!':
			active &^= match
			killed |= match
		}
	}
	var ids []uint16
	for i, s := range tls12Suites {
		if active&(1<<i) != 0 {
			ids = append(ids, s.id)
		}
	}
	if len(ids) == 0 {
		return nil, cipherListError(str, fmt.Sprintf("\"%s\" selects no cipher suite that Go's crypto/tls implements", str))
	}
	return ids, nil
}

func invalidCipherChar(rest string) string {
	if rest == "" {
		return "a keyword is missing at the end"
	}
	return fmt.Sprintf("unexpected character %q", rest[:1])
}

func cipherListError(str, detail string) *Error {
	var names []string
	for _, s := range tls12Suites {
		names = append(names, cipherNames[s.id].openssl)
	}
	return &Error{
		Kind:    KindConfig,
		Message: "could not set the TLSv1.2 cipher list (no valid ciphers available)",
		Detail:  detail + ".",
		Hint: "Go's crypto/tls implements " + strings.Join(names, ", ") +
			". Keywords such as HIGH select only those with ECDHE key exchange and AES-GCM, ChaCha20-Poly1305 or AES-CBC-SHA; name the others one by one.",
	}
}

// tls13Suites are the TLS 1.3 suites crypto/tls implements, all of them
// always enabled.
var tls13Suites = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}

// checkTLS13Ciphers validates ssl_tls13_ciphers. crypto/tls cannot
// restrict TLS 1.3 suites, so a valid list changes nothing; a list that
// leaves some out gets a warning saying so.
func checkTLS13Ciphers(list string) (warning string, err error) {
	if list == "" {
		return "", nil
	}
	var named []string
	for name := range strings.SplitSeq(list, ":") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(tls13Suites, name) {
			return "", &Error{
				Kind:    KindConfig,
				Message: "could not set the TLSv1.3 cipher suites (no valid ciphers available)",
				Detail:  fmt.Sprintf("Go's crypto/tls does not implement the TLS 1.3 cipher suite \"%s\".", name),
				Hint:    "Use " + strings.Join(tls13Suites, ", ") + ", or leave ssl_tls13_ciphers empty.",
			}
		}
		named = append(named, name)
	}
	if len(named) == 0 {
		return "", &Error{Kind: KindConfig, Message: "could not set the TLSv1.3 cipher suites (no valid ciphers available)"}
	}
	for _, s := range tls13Suites {
		if !slices.Contains(named, s) {
			return "ssl_tls13_ciphers cannot restrict TLS 1.3 cipher suites with Go's crypto/tls: " +
				strings.Join(tls13Suites, ", ") + " all remain enabled", nil
		}
	}
	return "", nil
}
