//go:build interop

package interop

import (
	"strings"
	"testing"
)

// TestJITBesideGo: the Go build is configured --with-llvm, as Debian's
// is. A backend that has started Go (pgcrypto) compiles a query with
// LLVM and runs it: the two runtimes share the process.
func TestJITBesideGo(t *testing.T) {
	s := startServer(t, goPrefix, "", "local all all trust\n")
	s.sql(t, "CREATE EXTENSION pgcrypto")
	out := s.sql(t, `SELECT encode(digest('x', 'sha256'), 'hex');
SET jit_above_cost = 0;
EXPLAIN (ANALYZE, FORMAT JSON) SELECT sum(g) FROM generate_series(1, 100000) g;
SELECT sum(g) FROM generate_series(1, 100000) g;`)
	if !strings.Contains(out, "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881") {
		t.Errorf("pgcrypto did not run:\n%s", out)
	}
	if !strings.Contains(out, `"JIT": {`) || !strings.Contains(out, `"Functions": `) {
		t.Errorf("the query was not compiled with LLVM:\n%s", out)
	}
	if !strings.HasSuffix(out, "\n5000050000\n") {
		t.Errorf("the compiled query's result:\n%s", out)
	}
}
