# Counts the tests of go test -v output: prints "PASSED FAILED SKIPPED".
# A test with subtests is counted through them, except that one which
# fails with no failing subtest (a t.Fatal after them) counts as failed.
# Names repeat across packages: each package is tallied at its summary
# line ("ok  pkg", "FAIL pkg", or a test binary's "PASS"/"FAIL").
function tally(   n) {
	for (n in res) {
		if (res[n] == "FAIL" && !(n in failchild)) f++
		else if (!(n in child) && res[n] == "PASS") p++
		else if (!(n in child) && res[n] == "SKIP") s++
	}
	delete res; delete child; delete failchild
}
match($0, /^ *--- (PASS|FAIL|SKIP): [^ ]+/) {
	split(substr($0, RSTART, RLENGTH), w, " ")
	name = w[3]; res[name] = substr(w[2], 1, 4)
	for (parent = name; sub(/\/[^\/]*$/, "", parent);) {
		child[parent] = 1
		if (res[name] == "FAIL") failchild[parent] = 1
	}
	next
}
/^(ok|FAIL|PASS)([ \t]|$)/ { tally() }
END { tally(); print p + 0, f + 0, s + 0 }
