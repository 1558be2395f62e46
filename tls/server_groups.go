package pgtls

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
)

// groupNames maps OpenSSL's group names and aliases (compared without
// case, as OpenSSL does) to crypto/tls's.
var groupNames = map[string]tls.CurveID{
	"x25519mlkem768":     tls.X25519MLKEM768,
	"secp256r1mlkem768":  tls.SecP256r1MLKEM768,
	"secp384r1mlkem1024": tls.SecP384r1MLKEM1024,
	"x25519":             tls.X25519,
	"prime256v1":         tls.CurveP256,
	"secp256r1":          tls.CurveP256,
	"p-256":              tls.CurveP256,
	"secp384r1":          tls.CurveP384,
	"p-384":              tls.CurveP384,
	"secp521r1":          tls.CurveP521,
	"p-521":              tls.CurveP521,
}

// groupDisplayNames are the names the server reports, in ssl_groups'
// spelling.
var groupDisplayNames = map[tls.CurveID]string{
	tls.X25519MLKEM768:     "X25519MLKEM768",
	tls.SecP256r1MLKEM768:  "SecP256r1MLKEM768",
	tls.SecP384r1MLKEM1024: "SecP384r1MLKEM1024",
	tls.X25519:             "X25519",
	tls.CurveP256:          "prime256v1",
	tls.CurveP384:          "secp384r1",
	tls.CurveP521:          "secp521r1",
}

// defaultGroups is what "" and PostgreSQL's default "X25519:prime256v1"
// mean: that list with the hybrid post-quantum X25519MLKEM768 added. The
// default setting cannot be told from the same words written on purpose;
// a DBA who wants exactly those two writes them another way
// ("X25519:P-256").
var defaultGroups = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}

// parseGroups turns ssl_groups into tls.Config.CurvePreferences. Besides
// names separated by ':', it takes OpenSSL 3.5's syntax: '/' between
// tuples, a '*' before a name (send a key share: crypto/tls decides
// that), and a '?' before a name that may be unknown, which is then
// skipped. Order does not matter: crypto/tls prefers hybrid post-quantum
// groups, then X25519, then the NIST curves.
func parseGroups(list string) ([]tls.CurveID, error) {
	if list == "" || list == DefaultGroups {
		return defaultGroups, nil
	}
	var ids []tls.CurveID
	for name := range strings.FieldsFuncSeq(list, func(r rune) bool { return r == ':' || r == '/' }) {
		name = strings.TrimSpace(name)
		optional := false
		for len(name) > 0 && (name[0] == '*' || name[0] == '?') {
			optional = optional || name[0] == '?'
			name = name[1:]
		}
		id, ok := groupNames[strings.ToLower(name)]
		switch {
		case ok:
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		case !optional:
			return nil, groupsError(fmt.Sprintf("unsupported group \"%s\"", name))
		}
	}
	if len(ids) == 0 {
		return nil, groupsError("No valid groups found")
	}
	return ids, nil
}

func groupsError(reason string) *Error {
	return &Error{
		Kind:    KindConfig,
		Message: "could not set group names specified in ssl_groups: " + reason,
		Hint:    "Ensure that each group name is spelled correctly and supported by Go's crypto/tls: X25519MLKEM768, SecP256r1MLKEM768, SecP384r1MLKEM1024, X25519, prime256v1, secp384r1, secp521r1.",
	}
}
