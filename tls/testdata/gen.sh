#!/bin/sh
# Regenerates the encrypted test keys and their self-signed certificates
# with the openssl CLI. Test-only keys; the password is "secret".
# Run from this directory: sh gen.sh
set -eu
pass=pass:secret
subj() { echo "/CN=pg-gotls test $1"; }

for alg in rsa ecdsa ed25519; do
	case $alg in
	rsa) opts="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ;;
	ecdsa) opts="-algorithm EC -pkeyopt ec_paramgen_curve:P-256" ;;
	ed25519) opts="-algorithm ED25519" ;;
	esac
	# PKCS#8, PBES2 with AES-256-CBC and PBKDF2/HMAC-SHA256 (genpkey's default).
	openssl genpkey -quiet $opts -aes-256-cbc -pass $pass -out $alg-pkcs8-aes256.key
	openssl req -x509 -new -key $alg-pkcs8-aes256.key -passin $pass \
		-subj "$(subj $alg)" -days 36500 -out $alg.crt
	# PKCS#8, PBES2 with AES-128-CBC and PBKDF2/HMAC-SHA1.
	openssl pkcs8 -topk8 -v2 aes-128-cbc -v2prf hmacWithSHA1 \
		-in $alg-pkcs8-aes256.key -passin $pass -passout $pass \
		-out $alg-pkcs8-aes128-sha1.key
	# PKCS#8, PBES2 with AES-256-CBC, DER.
	openssl pkcs8 -topk8 -v2 aes-256-cbc -outform DER \
		-in $alg-pkcs8-aes256.key -passin $pass -passout $pass \
		-out $alg-pkcs8-aes256.der
done

# PKCS#8, PBES2 with 3DES (DES-EDE3-CBC).
openssl pkcs8 -topk8 -v2 des3 -in ecdsa-pkcs8-aes256.key -passin $pass \
	-passout $pass -out ecdsa-pkcs8-des3.key

# Legacy PEM encryption (Proc-Type: 4,ENCRYPTED). Ed25519 has no
# traditional format, so there is none for it.
openssl rsa -in rsa-pkcs8-aes256.key -passin $pass -aes256 -traditional \
	-passout $pass -out rsa-legacy-aes256.key
openssl ec -in ecdsa-pkcs8-aes256.key -passin $pass -aes256 \
	-passout $pass -out ecdsa-legacy-aes256.key
