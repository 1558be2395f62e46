package pgtls

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"
)

// loadCertChain reads every certificate in a PEM file (or one DER
// certificate), leaf first, as OpenSSL's use_certificate_chain_file does.
func loadCertChain(name string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate found")
	}
	return certs, nil
}

// loadCertPool reads the certificates of a root certificate file, as a
// pool and as a list.
func loadCertPool(name string) (*x509.CertPool, []*x509.Certificate, error) {
	certs, err := loadCertChain(name)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, certs, nil
}

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	return parseAll(data, x509.ParseCertificate, "CERTIFICATE", "TRUSTED CERTIFICATE")
}

// parseAll parses, with parse, the PEM blocks of data that have one of
// types, or data itself if it holds none and looks like DER: the two
// forms OpenSSL's file readers accept.
func parseAll[T any](data []byte, parse func([]byte) (T, error), types ...string) ([]T, error) {
	var out []T
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if !slices.Contains(types, block.Type) {
			continue
		}
		v, err := parse(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if len(out) == 0 && len(data) > 0 && data[0] == 0x30 {
		v, err := parse(data)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// checkKeyFilePermissions applies libpq's rule for private key files: a
// regular file, mode 0600 or less, or 0640 or less if owned by root.
func checkKeyFilePermissions(name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return &Error{Kind: KindConfig, Message: fmt.Sprintf("certificate present, but not private key file \"%s\"", name)}
		}
		return configError(fmt.Sprintf("could not stat private key file \"%s\"", name), unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return &Error{Kind: KindConfig, Message: fmt.Sprintf("private key file \"%s\" is not a regular file", name)}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	rootOwned := ok && st.Uid == 0
	if keyModeTooOpen(fi.Mode(), rootOwned) {
		return &Error{Kind: KindConfig, Message: fmt.Sprintf("private key file \"%s\" has group or world access; file must have permissions u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root", name)}
	}
	return nil
}

// keyModeTooOpen is the permission rule libpq and the backend share for
// private keys: no group or world access, except group read when the
// caller allows it (for a key owned by root).
func keyModeTooOpen(mode fs.FileMode, groupReadOK bool) bool {
	perm := uint32(mode.Perm())
	if groupReadOK {
		return perm&(syscall.S_IWGRP|syscall.S_IXGRP|syscall.S_IRWXO) != 0
	}
	return perm&(syscall.S_IRWXG|syscall.S_IRWXO) != 0
}

// unwrapPathError drops the operation and path from an *fs.PathError, as
// libpq's messages name the file themselves.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }

// openKeyLog opens an NSS-format key log file for appending, readable by
// its owner only: the secrets in it decrypt the session.
func openKeyLog(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
}
