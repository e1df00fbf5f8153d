# assert.sh - numbered checks for integration tests. Each check prints
# "ok N - what" or "not ok N - what"; finish prints "<test>: N passed, N failed"
# and exits non-zero if anything failed.
_t_pass=0; _t_fail=0; _t_n=0
_t_name=$(basename "${BASH_SOURCE[1]:-$0}" .sh)

_t_report() {
    _t_n=$((_t_n + 1))
    if [ "$1" = 0 ]; then _t_pass=$((_t_pass + 1)); echo "ok $_t_n - $2"
    else _t_fail=$((_t_fail + 1)); echo "not ok $_t_n - $2"; fi
}

# check "what" COMMAND...: passes when COMMAND exits 0.
check() { local what=$1; shift; if "$@"; then _t_report 0 "$what"; else _t_report 1 "$what"; fi; }
# check_eq "what" ACTUAL EXPECTED
check_eq() {
    if [ "$2" = "$3" ]; then _t_report 0 "$1"
    else _t_report 1 "$1"; echo "#   got:      $(printf '%s' "$2" | head -c 400)"; echo "#   expected: $(printf '%s' "$3" | head -c 400)"; fi
}
# check_match "what" TEXT REGEX
check_match() {
    if printf '%s' "$2" | grep -Eq -- "$3"; then _t_report 0 "$1"
    else _t_report 1 "$1"; echo "#   text:  $(printf '%s' "$2" | head -c 400)"; echo "#   regex: $3"; fi
}
# check_exit "what" EXPECTED_CODE COMMAND...
check_exit() {
    local what=$1 want=$2; shift 2
    "$@" >/dev/null 2>&1; local rc=$?
    check_eq "$what (exit $want)" "$rc" "$want"
}

finish() {
    echo "$_t_name: $_t_pass passed, $_t_fail failed"
    [ "$_t_fail" = 0 ]
}

# A topic name unique to this test run.
uniq_topic() { echo "t-$_t_name-$1-$$-$RANDOM"; }

# truth_checks EVENTS OUTDIR: compare a processor's outputs with
# tests/lib/stream_truth.py, one check per line it prints.
truth_checks() {
    model_checks stream_truth.py "$@"
}

# model_checks MODEL ARGS...: run tests/lib/MODEL (a reference that prints
# "ok <what>" or "FAIL <what>: <detail>" per check) and count its checks.
model_checks() {
    local out line n=0 model=$1
    shift
    out=$(python3 "$RF_ROOT/tests/lib/$model" "$@" 2>&1)
    while IFS= read -r line; do
        case $line in
            "ok "*) check "${line#ok }" true; n=$((n + 1)) ;;
            "FAIL "*) check "${line#FAIL }" false; n=$((n + 1)) ;;
            *) echo "# $line" ;;
        esac
    done <<<"$out"
    check "the reference comparison ran (${n} checks)" test "$n" -gt 0
}

# node_checks SECONDS SCRIPT ARGS...: run tests/dashboard/SCRIPT (which
# prints "ok N - what" / "not ok N - what" and ends with
# "<name>: N passed, N failed"), one check per line, and a check that it
# ran to its end: a script that crashes half-way fails the test.
node_checks() {
    local secs=$1 script=$2 line summary="" name
    shift 2
    name=$(basename "$script" .js)
    while IFS= read -r line; do
        case $line in
            "ok "*) check "${line#ok [0-9]* - }" true ;;
            "not ok "*) check "${line#not ok [0-9]* - }" false ;;
            "$name: "*) summary=$line ;;
            *) echo "# $line" ;;
        esac
    done < <(timeout "$secs" node "$RF_ROOT/tests/dashboard/$script" "$@" 2>&1)
    check_match "the $script script ran to its end" "$summary" "^$name: [0-9]+ passed, 0 failed$"
}
