#!/usr/bin/env bash
# make check: runs each suite (a check-NAME target of the Makefile), goes
# on after one fails, prints each suite's counts and ends with one line
# "N passed, N failed" over all suites; exits 1 if anything failed.
#
# usage: run-checks.sh LOG-DIR NAME:KIND...
#   KIND says how to count what the suite prints:
#     go       go test -v / -test.v: "--- PASS|FAIL|SKIP" lines, subtests
#              included (test/count-go-tests.awk)
#     tap      prove's summary: "Files=N, Tests=N" less each "Failed: N"
#     regress  pg_regress's TAP lines: "ok N" and "not ok N"
#     step     a check with no tests of its own: one, by its exit status
# Each suite's whole output goes to LOG-DIR/NAME.log; the terminal gets
# its "==> " progress lines, or everything with V=1. MAKE is make's path.
set -uo pipefail

logs=$1
shift
mkdir -p "$logs"
total_pass=0 total_fail=0
summary=()

# count KIND LOG: sets pass, fail and skip from the suite's output.
count() {
	local kind=$1 log=$2
	pass=0 fail=0 skip=0
	case $kind in
	go)
		read -r pass fail skip < <(awk -f "$(dirname "$0")/count-go-tests.awk" "$log") ;;
	tap)
		local tests failed
		tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
		failed=$(sed -n 's/.*(Wstat: .* Tests: [0-9]* Failed: \([0-9]*\)).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
		pass=$((tests - failed)) fail=$failed ;;
	regress)
		pass=$(grep -cE '^ok [0-9]+ ' "$log")
		fail=$(grep -cE '^not ok [0-9]+ ' "$log") ;;
	step) pass=1 ;;
	esac
}

for suite in "$@"; do
	name=${suite%%:*} kind=${suite#*:}
	log=$logs/$name.log
	start=$SECONDS
	printf '==> suite %s\n' "$name"
	if [ -n "${V:-}" ]; then
		"$MAKE" -s --no-print-directory "check-$name" V=1 2>&1 | tee "$log"
	else
		"$MAKE" -s --no-print-directory "check-$name" V=1 2>&1 | tee "$log" | grep --line-buffered '^==> '
	fi
	status=${PIPESTATUS[0]}
	count "$kind" "$log"
	note=
	# A suite that failed outside any test (a build, go vet, a crash
	# before the summary) or ran no test at all counts one failure.
	if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
		fail=1 note=" (exit status $status outside the tests counted)"
		[ "$kind" = step ] && pass=0
	elif [ "$status" -eq 0 ] && [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then
		fail=1 note=" (no test ran)"
	fi
	if [ "$status" -ne 0 ] || [ "$fail" -ne 0 ]; then
		[ -z "${V:-}" ] && tail -n 80 "$log"
		echo "    full output: $log"
	fi
	line="$name: $pass passed, $fail failed$([ "$skip" -gt 0 ] && echo ", $skip skipped")"
	line+="$note, $((SECONDS - start)) s"
	echo "    $line"
	summary+=("$line")
	total_pass=$((total_pass + pass)) total_fail=$((total_fail + fail))
done

echo '==> every suite'
printf '    %s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
