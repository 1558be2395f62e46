package pgtls

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/pg-gotls/pg-gotls/test/certs"
)

// crlContent is what revocation checking uses of a CRL.
func crlContent(l *revocationList) string {
	s := fmt.Sprintf("%x %v %v", l.rawIssuer, l.thisUpdate.UTC(), l.nextUpdate.UTC())
	for _, r := range l.revoked {
		s += " " + r.String()
	}
	return s
}

// FuzzCRL: the CRL reader (PEM or DER, version 2 or 1).
//
//   - parseCRL takes every CRL x509.ParseRevocationList takes, with the
//     same issuer, dates and serial numbers; what it takes beyond is a
//     version 1 CRL x509.ParseDERCRL reads the same, without extensions;
//   - its raw DER (what the server's snapshot carries) parses again to
//     the same CRL;
//   - the PEM form of the input reads as the DER does;
//   - a CRL whose signature verifies with a test CA has the content of a
//     CRL that CA signed: what is checked is what is signed.
func FuzzCRL(f *testing.F) {
	pki := testPKI(f)
	cas := []*certs.Cert{pki.Root, pki.ServerCA, pki.ClientCA}
	signed := make([][]string, len(cas)) // the contents each CA signed
	revoked := []*certs.Cert{pki.Client, pki.Server}
	for i, ca := range cas {
		for _, mk := range []func(*certs.Cert, []*certs.Cert, time.Time) ([]byte, error){certs.CRL, certs.CRLv1} {
			for _, r := range [][]*certs.Cert{nil, revoked[:1], revoked} {
				data, err := mk(ca, r, nextWeek())
				if err != nil {
					f.Fatal(err)
				}
				lists, err := parseCRLs(data)
				if err != nil || len(lists) != 1 {
					f.Fatalf("seed CRL: %v", err)
				}
				signed[i] = append(signed[i], crlContent(lists[0]))
				f.Add(data)
				if len(r) == 1 {
					f.Add(lists[0].raw)
					f.Add(append(data, data...))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// data as DER.
		l, err := parseCRL(data)
		rl, rerr := x509.ParseRevocationList(data)
		if err != nil {
			if rerr == nil {
				t.Fatalf("crypto/x509 reads the CRL, parseCRL does not: %v", err)
			}
		} else {
			checkCRL(t, l, rl, rerr)
			if lists, err := parseCRLs(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: data})); err != nil ||
				len(lists) != 1 || crlContent(lists[0]) != crlContent(l) {
				t.Fatalf("the PEM form reads as %d CRLs, %v", len(lists), err)
			}
		}
		// data as a file.
		lists, _ := parseCRLs(data)
		for _, l := range lists {
			rl, rerr := x509.ParseRevocationList(l.raw)
			checkCRL(t, l, rl, rerr)
		}
		for _, l := range append(lists, l) {
			if l == nil {
				continue
			}
			for i, ca := range cas {
				if l.checkSignatureFrom(ca.Cert) == nil && !slices.Contains(signed[i], crlContent(l)) {
					t.Fatalf("a CRL verifies with CA %d but is none it signed: %s", i, crlContent(l))
				}
			}
		}
	})
}

// checkCRL compares l with crypto/x509's reading of the same DER, and
// with its own reading of its raw DER.
func checkCRL(t *testing.T, l *revocationList, rl *x509.RevocationList, rerr error) {
	t.Helper()
	var want revocationList
	if rerr == nil {
		want = revocationList{rawIssuer: rl.RawIssuer, thisUpdate: rl.ThisUpdate, nextUpdate: rl.NextUpdate}
		for _, r := range rl.RevokedCertificateEntries {
			want.revoked = append(want.revoked, r.SerialNumber)
		}
	} else {
		//lint:ignore SA1019 the version 1 reader parseCRLv1 relies on
		list, err := x509.ParseDERCRL(l.raw)
		if err != nil || list.TBSCertList.Version != 0 || len(list.TBSCertList.Extensions) != 0 {
			t.Fatalf("parseCRL read a CRL neither crypto/x509 reader takes as version 2 or 1: %v", err)
		}
		var issuer pkix.RDNSequence
		if rest, err := asn1.Unmarshal(l.rawIssuer, &issuer); err != nil || len(rest) != 0 ||
			!reflect.DeepEqual(issuer, list.TBSCertList.Issuer) {
			t.Fatalf("version 1 CRL: issuer %x is not the one crypto/x509 read (%v)", l.rawIssuer, err)
		}
		want = revocationList{rawIssuer: l.rawIssuer, thisUpdate: list.TBSCertList.ThisUpdate, nextUpdate: list.TBSCertList.NextUpdate}
		for _, r := range list.TBSCertList.RevokedCertificates {
			want.revoked = append(want.revoked, r.SerialNumber)
		}
	}
	if crlContent(l) != crlContent(&want) {
		t.Fatalf("parseCRL read\n %s\ncrypto/x509\n %s", crlContent(l), crlContent(&want))
	}
	again, err := parseCRL(l.raw)
	if err != nil || crlContent(again) != crlContent(l) {
		t.Fatalf("the snapshot's DER does not read back: %v", err)
	}
}
