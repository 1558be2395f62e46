//go:build interop

package interop

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sslinfo's certificate functions, asked many thousand times in one
// session of the Go server, leave nothing behind in the backend's
// TopMemoryContext: pg_tlsd's answers live in the calling query's memory,
// on the error paths too. They used to be allocated in TopMemoryContext
// and, in a UTF-8 database where pg_any_to_server returns its input, never
// freed: 200k calls of ssl_client_dn_field('CN') grew it by 8 MB.
func TestSSLInfoMemoryStaysFlat(t *testing.T) {
	const calls = 20000
	// What the calls may leave behind, in all: a fraction of a byte per
	// call. A leak of the answer's string is 24 bytes or more per call.
	const margin = 8 << 10

	f := newFixtureOn(t, goPrefix)
	f.srv.sql(t, "CREATE EXTENSION sslinfo")
	conninfo := f.conninfo("localhost") + " user=postgres sslmode=verify-full" +
		" sslrootcert=" + f.certs.Path("root.crt") +
		" sslcert=" + f.certs.Path("client.crt") + " sslkey=" + f.certs.Path("client.key")

	// Each statement reports what it did, so that a call that quietly
	// stopped asking pg_tlsd cannot pass for one that leaks nothing.
	workload := func(n int) []string {
		return []string{
			// The answer's string is returned as the value (UTF-8
			// database: no conversion, no copy).
			fmt.Sprintf("SELECT 'dn=' || count(ssl_client_dn_field('CN')) FROM generate_series(1, %d)", n),
			fmt.Sprintf("SELECT 'issuer=' || count(ssl_issuer_field('CN')) FROM generate_series(1, %d)", n),
			fmt.Sprintf("SELECT 'absent=' || count(ssl_client_dn_field('O')) FROM generate_series(1, %d)", n),
			// A set-returning function in the target list is run again
			// for every row; each of its rows is one question to pg_tlsd.
			fmt.Sprintf("SELECT 'extensions=' || count(*) FROM (SELECT ssl_extension_info() FROM generate_series(1, %d)) e", n/4),
			// The daemon's refusal is thrown as an ERROR with its answer
			// in hand.
			fmt.Sprintf(`DO $$
BEGIN
	FOR i IN 1..%d LOOP
		BEGIN
			PERFORM ssl_client_dn_field('no such field');
			RAISE 'no error';
		EXCEPTION WHEN invalid_parameter_value THEN
			NULL;
		END;
	END LOOP;
END $$`, n/4),
		}
	}
	const top = "SELECT 'top=' || used_bytes || ' ' || total_bytes FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext'"

	// The measuring query and a small round first: what a session
	// allocates once (sslinfo loaded, caches filled) is not a leak.
	args := []string{"-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", conninfo,
		"-c", "SELECT 'cn=' || ssl_client_dn_field('CN') || ' ' || ssl_is_used()", "-c", top}
	for _, q := range workload(400) {
		args = append(args, "-c", q)
	}
	args = append(args, "-c", top)
	for _, q := range workload(calls) {
		args = append(args, "-c", q)
	}
	args = append(args, "-c", top)
	r := clientWithin(t, 3*clientDeadline, f.home, nil, filepath.Join(goPrefix, "bin", "psql"), args...)
	if r.err != nil {
		t.Fatalf("psql: %s", r)
	}

	var sizes [][2]int64 // TopMemoryContext's used and total bytes
	counts := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("unexpected output line %q:\n%s", line, r)
		}
		if key != "top" {
			counts[key] = append(counts[key], value)
			continue
		}
		var used, total int64
		if _, err := fmt.Sscanf(value, "%d %d", &used, &total); err != nil {
			t.Fatalf("TopMemoryContext line %q: %v", line, err)
		}
		sizes = append(sizes, [2]int64{used, total})
	}
	want := map[string][]string{
		"cn":     {"certuser true"},
		"dn":     {"400", strconv.Itoa(calls)},
		"issuer": {"400", strconv.Itoa(calls)},
		"absent": {"0", "0"},
	}
	for key, values := range want {
		if strings.Join(counts[key], ",") != strings.Join(values, ",") {
			t.Errorf("%s: %v, want %v\n%s", key, counts[key], values, r)
		}
	}
	// At least the basic constraints, key usage and subject key ID.
	if ext := counts["extensions"]; len(ext) != 2 {
		t.Errorf("extensions: %v\n%s", ext, r)
	} else if n, _ := strconv.Atoi(ext[1]); n < 2*calls/4 {
		t.Errorf("ssl_extension_info gave %d rows for %d calls", n, calls/4)
	}
	if len(sizes) != 3 {
		t.Fatalf("%d TopMemoryContext sizes, want 3:\n%s", len(sizes), r)
	}
	before, after := sizes[1], sizes[2]
	t.Logf("TopMemoryContext after the small round: %d bytes used of %d; after %d calls of each: %d of %d",
		before[0], before[1], calls, after[0], after[1])
	if grew := after[0] - before[0]; grew > margin {
		t.Errorf("TopMemoryContext grew by %d bytes in use (%d allocated) over the calls; want at most %d",
			grew, after[1]-before[1], margin)
	}
}
