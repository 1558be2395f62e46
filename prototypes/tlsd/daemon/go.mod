module github.com/pg-gotls/pg-gotls/proto-b/tlsd

go 1.26.0

require (
	github.com/pg-gotls/pg-gotls v0.0.0
	golang.org/x/sys v0.49.0
)

replace github.com/pg-gotls/pg-gotls => ../../..
