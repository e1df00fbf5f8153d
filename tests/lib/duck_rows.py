"""duck_rows.py - comparing rows of bin/sql (JSON) with DuckDB's, shared by
sql_vs_duckdb.py, three_way.py and sql_fuzz.py."""
import datetime
import math


def norm(v):
    """One value as both sides can be compared: timestamps as rydeflow's
    text (milliseconds), numbers (int, float, Decimal) as floats."""
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.") + f"{v.microsecond // 1000:03d}"
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def same(a, b):
    """Equal values: numbers to a relative 1e-9 (sums in another order),
    NaN equal to NaN, and our JSON null equal to a non-finite DuckDB double
    (JSON has no infinities)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if a is None and isinstance(b, float) and not math.isfinite(b):
        return True
    return a == b


def report(n, what, problems):
    """Print "ok N - what" or "not ok N - what" and the problems; 1 if any."""
    print(f"{'not ok' if problems else 'ok'} {n} - {what}")
    for p in problems:
        print(f"#   {p}")
    return 1 if problems else 0
