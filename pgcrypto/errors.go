package pgcrypto

import "errors"

// The failures pgcrypto tells apart (its PXE_* codes; capi maps them).
var (
	ErrUnknown     = errors.New("pgcrypto: no such algorithm")
	ErrNotApproved = errors.New("pgcrypto: algorithm not approved in FIPS 140-3 mode")
	ErrKeyTooBig   = errors.New("pgcrypto: key too big")
	ErrInit        = errors.New("pgcrypto: cipher cannot be initialized")
	ErrEncrypt     = errors.New("pgcrypto: encryption failed")
	ErrDecrypt     = errors.New("pgcrypto: decryption failed")
	ErrMath        = errors.New("pgcrypto: big-number operation failed")
)
