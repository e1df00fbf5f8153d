# 32_compose: compose.yaml brings up the whole pipeline. There is no Docker
# engine here, so it is checked as far as it can be without one: Debian's
# docker-compose validates the file, every server has a health check, every
# program of the pipeline is a service, and each program service's command
# line and environment pass that program's own --check-config (every option
# parsed and validated, the query file compiled, nothing connected to).
source "$(dirname "$0")/../lib/env.sh"
source "$(dirname "$0")/../lib/assert.sh"
test_workdir W
C="$RF_ROOT/compose.yaml"

docker-compose -f "$C" config -q 2>"$W/config.err"
check_eq "docker-compose config accepts compose.yaml" "$?" 0
docker-compose -f "$C" config >"$W/resolved.yaml" 2>/dev/null
# One line per service: name, image, health check or not, then its program's
# command line and environment as JSON.
python3 - "$W/resolved.yaml" >"$W/services.tsv" <<'PY'
import json, sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
for name, s in doc["services"].items():
    print("\t".join([name, s.get("image", ""), "health" if "healthcheck" in s else "-",
                     json.dumps(s.get("command") or []), json.dumps(s.get("environment") or {}),
                     json.dumps([p.get("published") for p in s.get("ports", []) if isinstance(p, dict)])]))
PY
svc() { awk -F'\t' -v n="$1" '$1 == n' "$W/services.tsv"; }
for s in kafka redis postgres s3; do
    check_eq "server $s has a health check" "$(svc "$s" | cut -f3)" health
done
for s in producer processor sink-summary sink-archive dashboard; do
    check_eq "program $s runs from the rydeflow image" "$(svc "$s" | cut -f2)" rydeflow:latest
done
check_match "the dashboard's port is published" "$(svc dashboard | cut -f6)" '\b8080\b'

# Each program service's command, as the image would run it (its working
# directory is the tree's root), with --check-config.
n=0
while IFS=$'\t' read -r name image _ cmd envjson _; do
    [ "$image" = rydeflow:latest ] || continue
    mapfile -t argv < <(python3 -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])))' "$cmd")
    mapfile -t envv < <(python3 -c 'import json, sys; print("\n".join("%s=%s" % kv for kv in json.loads(sys.argv[1]).items()))' "$envjson")
    out=$(cd "$RF_ROOT" && env "${envv[@]}" "$RF_BIN/${argv[0]}" "${argv[@]:1}" --check-config 2>&1)
    check_eq "$name: its command line passes ${argv[0]} --check-config" "$?" 0
    check_match "  and says what would run" "$out" "^${argv[0]}: configuration ok: "
    n=$((n + 1))
done <"$W/services.tsv"
check_eq "five program services checked" "$n" 5

# --check-config is a real check: a bad option or query file is exit 2.
"$RF_BIN/processor" -f /dev/null/none.sql --check-config >/dev/null 2>&1
check_eq "a missing query file fails the check (exit 2)" "$?" 2
printf 'CREATE STREAM s AS SELECT Name FROM wildrydes WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY Nme;\n' >"$W/bad.sql"
"$RF_BIN/processor" -f "$W/bad.sql" --check-config 2>"$W/bad.err"
check_eq "a bad query fails the check (exit 2)" "$?" 2
check_match "  with its line and column" "$(cat "$W/bad.err")" "line 1, column [0-9]+"
"$RF_BIN/sink" -t x --to ftp://nowhere --check-config 2>/dev/null
check_eq "a destination the sink cannot write fails the check (exit 2)" "$?" 2
timeout 10 "$RF_BIN/producer" -b 127.0.0.1:1 --check-config >/dev/null
check_eq "the check connects to nothing (an unreachable broker passes, at once)" "$?" 0
finish
