package pgtls

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// errBadDecrypt is OpenSSL's reason for a wrong or missing passphrase;
// libpq users and scripts know it.
var errBadDecrypt = errors.New("bad decrypt")

// loadClientKey checks and reads a client's private key file, decrypting
// it with password if it is encrypted.
func loadClientKey(name, password string) (crypto.Signer, error) {
	if err := checkKeyFilePermissions(name); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, configError(fmt.Sprintf("could not load private key file \"%s\"", name), unwrapPathError(err))
	}
	key, err := parsePrivateKey(data, []byte(password))
	if err != nil {
		return nil, configError(fmt.Sprintf("could not load private key file \"%s\"", name), err)
	}
	return key, nil
}

// parsePrivateKey reads a private key in any form OpenSSL's PEM and DER
// readers take: PKCS#1, SEC 1, PKCS#8, encrypted PKCS#8, and legacy PEM
// encryption (Proc-Type: 4,ENCRYPTED).
func parsePrivateKey(data, password []byte) (crypto.Signer, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		der := block.Bytes
		switch block.Type {
		case "ENCRYPTED PRIVATE KEY":
			return decryptAndParsePKCS8(der, password)
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
			//lint:ignore SA1019 legacy PEM encryption is what OpenSSL
			// writes with "openssl rsa -aes256"; users still have such keys.
			if x509.IsEncryptedPEMBlock(block) {
				if len(password) == 0 {
					return nil, errBadDecrypt
				}
				//lint:ignore SA1019 see above
				plain, err := x509.DecryptPEMBlock(block, password)
				if err != nil {
					return nil, errBadDecrypt
				}
				key, err := parseDERKey(plain)
				if err != nil {
					// Padding that checks out by chance under a wrong
					// password, as in decryptAndParsePKCS8.
					return nil, errBadDecrypt
				}
				return key, nil
			}
			return parseDERKey(der)
		}
	}
	if der, ok := firstDER(data); ok {
		if key, err := parseDERKey(der); err == nil {
			return key, nil
		}
		if key, err := decryptAndParsePKCS8(der, password); !errors.Is(err, errNotEncryptedPKCS8) {
			return key, err
		}
	}
	return nil, errors.New("no private key found")
}

// firstDER returns the DER SEQUENCE that data holds, allowing white space
// around it. DER is binary and may itself end in bytes that look like
// white space, so its own length says where it ends, not trimming.
func firstDER(data []byte) ([]byte, bool) {
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(bytes.TrimLeft(data, " \t\r\n\v\f"), &v)
	if err != nil || v.Class != asn1.ClassUniversal || v.Tag != asn1.TagSequence || len(bytes.TrimSpace(rest)) != 0 {
		return nil, false
	}
	return v.FullBytes, true
}

func decryptAndParsePKCS8(der, password []byte) (crypto.Signer, error) {
	plain, err := decryptPKCS8(der, password)
	if err != nil {
		return nil, err
	}
	key, err := parseDERKey(plain)
	if err != nil {
		// Padding that checks out by chance under a wrong password.
		return nil, errBadDecrypt
	}
	return key, nil
}

func parseDERKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unsupported or malformed private key")
}

// checkKeyMatches reports whether key is the private half of cert's public
// key.
func checkKeyMatches(cert *x509.Certificate, key crypto.Signer) error {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := key.Public().(equaler)
	if !ok || !pub.Equal(cert.PublicKey) {
		return errors.New("key values mismatch")
	}
	switch key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey:
		return nil
	}
	return fmt.Errorf("unsupported private key type %T", key)
}
