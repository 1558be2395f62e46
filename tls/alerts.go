package pgtls

import (
	"fmt"
	"strings"
)

const alertProtocolVersion = 70

// alertNames are OpenSSL's reason strings for alerts ("tlsv1 alert unknown
// ca"), so that messages stay the ones users and scripts know.
var alertNames = map[uint8]string{
	0:   "sslv3 alert close notify",
	10:  "sslv3 alert unexpected message",
	20:  "sslv3 alert bad record mac",
	21:  "tlsv1 alert decryption failed",
	22:  "tlsv1 alert record overflow",
	30:  "sslv3 alert decompression failure",
	40:  "sslv3 alert handshake failure",
	41:  "sslv3 alert no certificate",
	42:  "sslv3 alert bad certificate",
	43:  "sslv3 alert unsupported certificate",
	44:  "sslv3 alert certificate revoked",
	45:  "sslv3 alert certificate expired",
	46:  "sslv3 alert certificate unknown",
	47:  "sslv3 alert illegal parameter",
	48:  "tlsv1 alert unknown ca",
	49:  "tlsv1 alert access denied",
	50:  "tlsv1 alert decode error",
	51:  "tlsv1 alert decrypt error",
	60:  "tlsv1 alert export restriction",
	70:  "tlsv1 alert protocol version",
	71:  "tlsv1 alert insufficient security",
	80:  "tlsv1 alert internal error",
	86:  "tlsv1 alert inappropriate fallback",
	90:  "tlsv1 alert user cancelled",
	100: "tlsv1 alert no renegotiation",
	109: "tlsv13 alert missing extension",
	110: "tlsv1 unsupported extension",
	111: "tlsv1 certificate unobtainable",
	112: "tlsv1 unrecognized name",
	113: "tlsv1 bad certificate status response",
	114: "tlsv1 bad certificate hash value",
	115: "tlsv1 unknown psk identity",
	116: "tlsv13 alert certificate required",
	120: "tlsv1 alert no application protocol",
}

func alertReason(code uint8) string {
	if name, ok := alertNames[code]; ok {
		return name
	}
	return fmt.Sprintf("alert number %d", code)
}

// localAlertReason words a failure found on this side, for which the
// alert was sent rather than received: the alert's description alone
// ("decode error"), without OpenSSL's "tlsv1 alert" of a received one.
func localAlertReason(code uint8) string {
	name := alertReason(code)
	for _, prefix := range []string{"sslv3 alert ", "tlsv1 alert ", "tlsv13 alert ", "tlsv1 "} {
		if strings.HasPrefix(name, prefix) {
			return strings.TrimPrefix(name, prefix)
		}
	}
	return name
}
