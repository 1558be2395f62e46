// The openssl binary as the sslinfo tests' oracle (opensslBinary),
// since sslinfo must answer as OpenSSL 3.0 does:
//
//   - its name printing with -nameopt esc_2253,esc_ctrl,utf8,dump_nostr,
//     dump_der calls, for each entry, the very ASN1_STRING_print_ex flags
//     sslinfo uses (ASN1_STRFLGS_RFC2253 & ~ESC_MSB | UTF8_CONVERT);
//     sep_multiline puts each RDN on a line and oid names entries by OID,
//     so the first entry with the field's OID is sslinfo's answer, the
//     field name being resolved as OBJ_txt2nid does (short name, long
//     name, then a known OID) over `openssl list -objects`.
//   - its -text extension section is X509V3_extensions_print, which calls
//     X509V3_EXT_print with indent 16 where sslinfo uses 0; every line of
//     a value carries that indent, so taking 16 spaces off each line gives
//     sslinfo's value (the header's long name maps back to the short name
//     sslinfo shows). With -certopt ext_error an extension OpenSSL cannot
//     print shows as "<Not Supported>" or "<Parse Error>" (or, where the
//     printer itself fails, its raw bytes): there sslinfo raises an error.
//
// sslinfo_c_oracle_test.go compares byte for byte where it can.

package pgtls

import (
	"bytes"
	"crypto/x509"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func siRun(t *testing.T, der []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command(opensslBinary(t), args...)
	cmd.Stdin = bytes.NewReader(der)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %v: %v", args, err)
	}
	return string(out)
}

// siObjectList is `openssl list -objects`: OID by short and by long name,
// short name by long name, and the set of known OIDs.
type siObjectList struct {
	bySN, byLN map[string]string
	snByLN     map[string]string
	known      map[string]bool
}

var siObjectsOnce struct {
	sync.Once
	list siObjectList
}

func siObjects(t *testing.T) siObjectList {
	siObjectsOnce.Do(func() {
		out := siRun(t, nil, "list", "-objects")
		l := siObjectList{map[string]string{}, map[string]string{}, map[string]string{}, map[string]bool{}}
		oidRE := regexp.MustCompile(`^[0-9]+(\.[0-9]+)*$`)
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			sn, rest, _ := strings.Cut(line, " = ")
			ln, oid := rest, ""
			if i := strings.LastIndex(rest, ", "); i >= 0 && oidRE.MatchString(rest[i+2:]) {
				ln, oid = rest[:i], rest[i+2:]
			} else if oidRE.MatchString(rest) {
				ln, oid = sn, rest
			}
			if oid == "" {
				continue
			}
			if _, dup := l.bySN[sn]; !dup {
				l.bySN[sn] = oid
			}
			if _, dup := l.byLN[ln]; !dup {
				l.byLN[ln], l.snByLN[ln] = oid, sn
			}
			l.known[oid] = true
		}
		siObjectsOnce.list = l
	})
	return siObjectsOnce.list
}

var siResolved sync.Map // field -> [2]string{oid, "known"}

// siResolve is OBJ_txt2nid over the openssl binary's object list: short
// name, long name, then (if it starts with a digit) a number, which
// asn1parse -genstr OID: reads with the same OBJ_txt2obj and prints by
// long name where OpenSSL knows it.
func siResolve(t *testing.T, field string) (string, bool) {
	l := siObjects(t)
	if oid, ok := l.bySN[field]; ok {
		return oid, true
	}
	if oid, ok := l.byLN[field]; ok {
		return oid, true
	}
	if field == "" || field[0] < '0' || field[0] > '9' {
		return "", false
	}
	if r, ok := siResolved.Load(field); ok {
		return r.([2]string)[0], r.([2]string)[1] != ""
	}
	out, err := exec.Command(opensslBinary(t), "asn1parse", "-genstr", "OID:"+field).Output()
	var r [2]string
	if _, ln, found := strings.Cut(strings.TrimSpace(string(out)), "OBJECT            :"); err == nil && found {
		if oid, ok := l.byLN[ln]; ok {
			r = [2]string{oid, "known"}
		}
	}
	siResolved.Store(field, r)
	return r[0], r[1] != ""
}

// siCLINames is the subject's or issuer's entries as the CLI prints them:
// one [oid, value] per entry, in order.
func siCLINames(t *testing.T, der []byte, which string) [][2]string {
	out := siRun(t, der, "x509", "-inform", "DER", "-noout", "-"+which,
		"-nameopt", "esc_2253,esc_ctrl,utf8,dump_nostr,dump_der,sep_multiline,oid")
	sep := regexp.MustCompile(` \+ ([0-9]+(?:\.[0-9]+)+)=`)
	var entries [][2]string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:] {
		line = " + " + strings.TrimPrefix(line, "    ")
		locs := sep.FindAllStringSubmatchIndex(line, -1)
		for i, m := range locs {
			end := len(line)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			entries = append(entries, [2]string{line[m[2]:m[3]], line[m[1]:end]})
		}
	}
	return entries
}

// siCLIField is what sslinfo would return for field, per the CLI.
func siCLIField(t *testing.T, entries [][2]string, field string) (value string, ok bool, known bool) {
	oid, known := siResolve(t, field)
	if !known {
		return "", false, false
	}
	for _, e := range entries {
		if e[0] == oid {
			return e[1], true, true
		}
	}
	return "", false, true
}

// siCLIExt is one extension as the CLI shows it; failed is set where
// OpenSSL could not print it (sslinfo raises an error there).
type siCLIExt struct {
	Extension
	failed bool
}

func siCLIExtensions(t *testing.T, der []byte, cert *x509.Certificate) []siCLIExt {
	out := siRun(t, der, "x509", "-inform", "DER", "-noout", "-text", "-certopt",
		"no_header,no_version,no_serial,no_signame,no_validity,no_subject,no_issuer,no_pubkey,no_sigdump,no_aux,ext_error")
	header := regexp.MustCompile(`^ {12}(\S.*): (critical)?$`)
	var exts []siCLIExt
	var lines []string
	flush := func() {
		if len(exts) == 0 {
			return
		}
		e := &exts[len(exts)-1]
		// X509V3_extensions_print ends each value with "\n": the end of
		// the last line.
		e.Value = strings.Join(lines, "\n")
		raw := v3Printable(cert.Extensions[len(exts)-1].Value)
		e.failed = e.Value == "<Not Supported>" || e.Value == "<Parse Error>" || e.Value == raw
		lines = nil
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n")[1:] {
		if m := header.FindStringSubmatch(line); m != nil {
			flush()
			name, ok := siObjects(t).snByLN[m[1]]
			if !ok {
				name = "" // an OID OpenSSL does not know
			}
			exts = append(exts, siCLIExt{Extension: Extension{Name: name, Critical: m[2] != ""}})
			continue
		}
		line = strings.TrimPrefix(line, strings.Repeat(" ", 16))
		// crld prints Reasons and CRL Issuer, indent first, right after a
		// Full Name that does not end its line: the indent lands mid-line.
		for _, s := range []string{"Reasons:", "CRL Issuer:"} {
			line = strings.ReplaceAll(line, strings.Repeat(" ", 16)+s, s)
		}
		lines = append(lines, line)
	}
	flush()
	return exts
}
