package pgtls

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// crlSet holds the certificate revocation lists libpq would give OpenSSL.
// When it is in force, every certificate of the chain below the trust
// anchor must be covered by a valid CRL from its issuer, as with OpenSSL's
// X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL.
type crlSet struct {
	lists []*revocationList
	// dir is an OpenSSL hashed directory (sslcrldir), read when a chain is
	// checked, as OpenSSL's lookup does.
	dir string
}

// Revocation failures, worded as OpenSSL's X509_verify_cert_error_string;
// the server reports the bare reason in its log detail.
var (
	errCertRevoked    = errors.New("certificate revoked")
	errCRLExpired     = errors.New("CRL has expired")
	errCRLNotYetValid = errors.New("CRL is not yet valid")
	errNoCRL          = errors.New("unable to get certificate CRL")
)

// hashedCRLName matches OpenSSL's c_rehash names for CRLs: <hash>.r<n>.
var hashedCRLName = regexp.MustCompile(`^[0-9a-f]{8}\.r[0-9]+$`)

// loadCRLs finds sslcrl / sslcrldir or the default ~/.postgresql/root.crl.
// As with libpq, a CRL file that cannot be read means no CRL checking.
func loadCRLs(o *ClientOptions) (*crlSet, error) {
	file, dir := o.SSLCRL, o.SSLCRLDir
	if file == "" && dir == "" {
		file = o.inHome(rootCRLFile)
	}
	if file == "" && dir == "" {
		return nil, nil
	}
	set := &crlSet{dir: dir}
	if file != "" {
		lists, err := readCRLFile(file)
		if err != nil {
			return nil, nil
		}
		set.lists = lists
	}
	return set, nil
}

// readCRLFile reads the CRLs of a PEM (or one DER) file; a file with
// none is an error, as for OpenSSL.
func readCRLFile(name string) ([]*revocationList, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, unwrapPathError(err)
	}
	lists, err := parseCRLs(data)
	if err != nil {
		return nil, err
	}
	if len(lists) == 0 {
		return nil, fmt.Errorf("no certificate or crl found")
	}
	return lists, nil
}

func parseCRLs(data []byte) ([]*revocationList, error) {
	return parseAll(data, parseCRL, "X509 CRL")
}

// dirLists reads the CRLs of the hashed directory. Matching by issuer
// name afterwards gives the result OpenSSL's hash lookup gives.
func (s *crlSet) dirLists() []*revocationList {
	if s.dir == "" {
		return nil
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil
	}
	var lists []*revocationList
	for _, e := range entries {
		if !hashedCRLName.MatchString(e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.dir, e.Name()))
		if err != nil {
			continue
		}
		if l, err := parseCRLs(data); err == nil {
			lists = append(lists, l...)
		}
	}
	return lists
}

// check verifies chain (leaf first, trust anchor last) against the CRLs.
func (s *crlSet) check(chain []*x509.Certificate, now time.Time) error {
	lists := append(s.dirLists(), s.lists...)
	for i := 0; i+1 < len(chain); i++ {
		if err := checkRevocation(chain[i], chain[i+1], lists, now); err != nil {
			return err
		}
	}
	return nil
}

func checkRevocation(cert, issuer *x509.Certificate, lists []*revocationList, now time.Time) error {
	found := false
	for _, l := range lists {
		if string(l.rawIssuer) != string(issuer.RawSubject) || l.checkSignatureFrom(issuer) != nil {
			continue
		}
		if !l.nextUpdate.IsZero() && now.After(l.nextUpdate) {
			return errCRLExpired
		}
		if now.Before(l.thisUpdate) {
			return errCRLNotYetValid
		}
		found = true
		for _, serial := range l.revoked {
			if serial.Cmp(cert.SerialNumber) == 0 {
				return fmt.Errorf("%w (subject %q, serial %s)", errCertRevoked, cert.Subject.String(), cert.SerialNumber)
			}
		}
	}
	if !found {
		return fmt.Errorf("%w (no CRL from %q)", errNoCRL, issuer.Subject.String())
	}
	return nil
}
