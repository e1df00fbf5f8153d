# 30_sql_fuzz_duckdb: a differential fuzzer (tests/lib/sql_fuzz.py): seeded
# random queries in the common subset of rydeflow's dialect and DuckDB's
# (expressions, NULLs, LIKE/ILIKE/ESCAPE, CASE, CAST, arithmetic, aggregates,
# GROUP BY with aliases and positions, HAVING, ORDER BY/LIMIT, DISTINCT,
# minute windows), each run by bin/sql and by DuckDB over an archive of odd
# data. No undocumented disagreement. 300 queries here; thousands with
#   RF_SQL_FUZZ_QUERIES=5000 tests/run.sh 30_sql_fuzz
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
test_workdir W
PY="$RF_ROOT/var/venv/bin/python"
N=${RF_SQL_FUZZ_QUERIES:-300}
for seed in ${RF_SQL_FUZZ_SEEDS:-17}; do
    mkdir -p "$W/$seed"
    out=$("$PY" "$RF_ROOT/tests/lib/sql_fuzz.py" "$RF_BIN/sql" "$W/$seed" --seed "$seed" --queries "$N"); rc=$?
    grep -v '^# documented' <<<"$out" | grep '^#\|^not ok' | head -40
    summary=$(grep '^fuzz:' <<<"$out")
    echo "# seed $seed: $summary"
    check_match "seed $seed: every query ran ($N)" "$summary" "^fuzz: $N queries"
    check_match "seed $seed: no undocumented disagreement with DuckDB" "$summary" ", 0 disagree$"
    check_eq "seed $seed: the fuzzer exits 0" "$rc" 0
    agree=$(sed -E 's/.* ([0-9]+) agree.*/\1/' <<<"$summary")
    check "seed $seed: most queries agree outright ($agree of $N)" test "$agree" -ge $((N * 9 / 10))
done
finish
