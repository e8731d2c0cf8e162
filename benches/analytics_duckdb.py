"""The analytics dashboard set of benches/analytics.rs in DuckDB SQL, on the same data.

Usage: python3 benches/analytics_duckdb.py DIR [--graphql URL TOKEN]
(DIR holds projects.csv, progress.csv, targets.csv as the Rust bench writes them; or
DIR is a zhaoshang SQLite file, e.g. from `zhaoshang demo --projects N`, and the three
CSVs are first written from it beside it, the reach dates derived as
`rules::reach_dates` does: the earliest recorded date of the stage or a later one). Loads
the CSVs into DuckDB tables (timed as the "rebuild"), then runs the dashboard set seven
times warm and prints the best and the median, and the same for the four queries the
live dashboard asks (FAI and signing trends, the cohort, the funnel: FOUR below).

With `--graphql URL TOKEN` (a running `zhaoshang serve` on the same data, e.g.
`zhaoshang demo --projects N --seed 1`, with an analyst token) it also sends those four
queries over GraphQL (`tests/common/load.rs`'s DASHBOARD, one HTTP request each, in
turn) and prints the same figures, the two alternating run by run so that both see the
same machine load. Needs `pip install duckdb`.
"""
import csv
import json
import os
import sqlite3
import statistics
import sys
import time
import urllib.request

import duckdb

D = "DATE '2025-12-31'"
QUERIES = {
    "fai trend": f"""
        WITH m AS (SELECT "month" AS mon, sum(fai) v FROM progress WHERE "month" BETWEEN DATE '2024-01-01' AND DATE '2025-12-01' AND "month" <= date_trunc('month', {D}) GROUP BY "month"),
        c AS (SELECT mon, sum(v) OVER (PARTITION BY year(mon) ORDER BY mon) cum FROM m)
        SELECT a.mon, a.cum, a.cum / nullif(b.cum, 0) - 1 FROM c a LEFT JOIN c b ON b.mon = a.mon - INTERVAL 1 YEAR WHERE year(a.mon) = 2025""",
    "signing trend": f"""
        WITH m AS (SELECT date_trunc('month', reach_2) AS mon, sum(total) v FROM projects WHERE reach_2 BETWEEN DATE '2024-01-01' AND {D} GROUP BY 1),
        c AS (SELECT mon, sum(v) OVER (PARTITION BY year(mon) ORDER BY mon) cum FROM m)
        SELECT a.mon, a.cum, a.cum / nullif(b.cum, 0) - 1 FROM c a LEFT JOIN c b ON b.mon = a.mon - INTERVAL 1 YEAR WHERE year(a.mon) = 2025""",
    "cohort": f"""
        WITH f AS (SELECT code, sum(funds) funds FROM progress WHERE "month" <= {D} GROUP BY code)
        SELECT count(*), count(*) FILTER (WHERE reach_3 <= {D}), count(*) FILTER (WHERE reach_4 <= {D}),
               count(*) FILTER (WHERE reach_3 <= {D} OR coalesce(f.funds, 0) > 0), count(*) FILTER (WHERE registered <= {D}),
               sum(coalesce(f.funds, 0)) / sum(total)
        FROM projects p LEFT JOIN f USING (code) WHERE reach_2 BETWEEN DATE '2025-01-01' AND {D}""",
    "funnel": f"""
        SELECT count(*), count(*) FILTER (WHERE reach_1 <= {D}), count(*) FILTER (WHERE reach_2 <= {D}), count(*) FILTER (WHERE reach_3 <= {D}),
               count(*) FILTER (WHERE reach_4 <= {D}), count(*) FILTER (WHERE reach_5 <= {D}),
               median(rec_1 - rec_0) FILTER (WHERE rec_1 <= {D}), quantile_disc(rec_1 - rec_0, 0.9) FILTER (WHERE rec_1 <= {D}),
               median(rec_2 - rec_1) FILTER (WHERE rec_2 <= {D}), quantile_disc(rec_2 - rec_1, 0.9) FILTER (WHERE rec_2 <= {D}),
               median(rec_3 - rec_2) FILTER (WHERE rec_3 <= {D}), quantile_disc(rec_3 - rec_2, 0.9) FILTER (WHERE rec_3 <= {D}),
               median(rec_4 - rec_3) FILTER (WHERE rec_4 <= {D}), quantile_disc(rec_4 - rec_3, 0.9) FILTER (WHERE rec_4 <= {D}),
               median(rec_5 - rec_4) FILTER (WHERE rec_5 <= {D}), quantile_disc(rec_5 - rec_4, 0.9) FILTER (WHERE rec_5 <= {D})
        FROM projects WHERE reach_0 BETWEEN DATE '2024-01-01' AND {D}""",
    "alerts": f"""
        WITH u AS (SELECT DISTINCT unit FROM projects),
        per AS (SELECT unit, count(*) FILTER (WHERE reach_0 BETWEEN DATE '2025-01-01' AND {D}) intake,
                       count(*) FILTER (WHERE reach_2 BETWEEN DATE '2025-01-01' AND {D}) signed,
                       count(*) FILTER (WHERE reach_2 BETWEEN DATE '2025-01-01' AND {D} AND reach_3 <= {D}) landed FROM projects GROUP BY unit),
        live AS (SELECT * FROM projects WHERE terminated IS NULL OR terminated > {D}),
        busy AS (SELECT DISTINCT code FROM progress WHERE "month" BETWEEN DATE '2025-10-01' AND DATE '2025-12-01' AND fai > 0)
        SELECT (SELECT count(*) FROM per WHERE intake = 0), (SELECT count(*) FROM per WHERE signed = 0), (SELECT count(*) FROM per WHERE signed > 0 AND landed = 0),
               (SELECT count(*) FROM live WHERE planned_start < {D} AND NOT coalesce(reach_3 <= {D}, false)),
               (SELECT count(*) FROM live WHERE planned_production < {D} AND NOT coalesce(reach_4 <= {D}, false)),
               (SELECT count(*) FROM live WHERE reach_3 <= DATE '2025-09-30' AND NOT coalesce(reach_4 <= {D}, false) AND code NOT IN (SELECT code FROM busy))""",
    "scorecards": """
        WITH a AS (
          SELECT unit, 'signed_count' metric, count(*)::BIGINT v FROM projects WHERE reach_2 BETWEEN DATE '2025-01-01' AND DATE '2025-09-30' GROUP BY unit
          UNION ALL SELECT unit, 'signed_investment', sum(total) FROM projects WHERE reach_2 BETWEEN DATE '2025-01-01' AND DATE '2025-09-30' GROUP BY unit
          UNION ALL SELECT unit, 'new_starts', count(*) FROM projects WHERE reach_3 BETWEEN DATE '2025-01-01' AND DATE '2025-09-30' GROUP BY unit
          UNION ALL SELECT unit, 'new_starts_10m', count(*) FROM projects WHERE reach_3 BETWEEN DATE '2025-01-01' AND DATE '2025-09-30' AND total >= 10000000 GROUP BY unit
          UNION ALL SELECT p.unit, 'fai', sum(fai) FROM progress g JOIN projects p USING (code) WHERE "month" BETWEEN DATE '2025-01-01' AND DATE '2025-09-01' GROUP BY p.unit),
        s AS (SELECT t.unit, 100 * sum(w.w * least(coalesce(a.v, 0) / (t.value * 0.75), 1.5)) / sum(w.w) score
              FROM targets t JOIN (VALUES ('signed_investment', 0.30), ('signed_count', 0.15), ('new_starts', 0.15), ('new_starts_10m', 0.15), ('fai', 0.25)) w(metric, w) USING (metric)
              LEFT JOIN a ON a.unit = t.unit AND a.metric = t.metric WHERE t.year = 2025 AND t.value > 0 GROUP BY t.unit)
        SELECT unit, score, rank() OVER (ORDER BY score DESC) FROM s""",
}


FOUR = ["fai trend", "signing trend", "cohort", "funnel"]

# The same questions as tests/common/load.rs DASHBOARD (the four above, in that order).
GRAPHQL = [
    '{ trend(metric: FAI, from: "2025-01", to: "2025-12", asOf: "2025-12-31") { period value cumulative yoy } }',
    '{ trend(metric: SIGNED_INVESTMENT, from: "2025-01", to: "2025-12", asOf: "2025-12-31") { period value cumulative yoy } }',
    '{ cohort(signedFrom: "2025-01-01", signedTo: "2025-12-31", asOf: "2025-12-31") { size landingRate productionRate fulfillmentRate registrationRate fundArrivalRate } }',
    '{ funnel(intakeFrom: "2024-01-01", intakeTo: "2025-12-31", asOf: "2025-12-31") { stages { stage reached conversionToNext } intentToProduction } }',
]


def graphql(url, token, query):
    request = urllib.request.Request(
        url, data=json.dumps({"query": query}).encode(), headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request) as response:
        body = json.loads(response.read())
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return body


def summary(name, runs):
    totals = sorted(sum(r.values()) for r in runs)
    parts = ", ".join(f"{k} {statistics.median(r[k] for r in runs) * 1000:.1f}" for k in runs[0])
    return f"{name}: best {totals[0] * 1000:.1f} ms median {statistics.median(totals) * 1000:.1f} ms (medians by part, ms: {parts})"


def four(con, url, token, runs=15):
    """The four live-dashboard queries, DuckDB and GraphQL alternating, after one warm-up each."""
    duck, served = [], []
    for i in range(runs + 1):
        d = {}
        for name in FOUR:
            started = time.perf_counter()
            con.execute(QUERIES[name]).fetchall()
            d[name] = time.perf_counter() - started
        g = {}
        if url:
            for name, query in zip(FOUR, GRAPHQL):
                started = time.perf_counter()
                graphql(url, token, query)
                g[name] = time.perf_counter() - started
        if i > 0:
            duck.append(d)
            served.append(g)
    print(summary("four (trends, cohort, funnel), DuckDB", duck))
    if url:
        print(summary("four (trends, cohort, funnel), GraphQL", served))


def export_sqlite(path):
    """Writes projects.csv, progress.csv and targets.csv from a zhaoshang SQLite file, in
    the Rust bench's layout; returns their folder."""
    folder = path + ".csv"
    os.makedirs(folder, exist_ok=True)
    db = sqlite3.connect(path)
    stages = ["intent_date", "negotiation_date", "signed_date", "started_date", "producing_date", "capacity_date"]
    with open(f"{folder}/projects.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["code", "unit", "total"] + [f"reach_{s}" for s in range(6)] + [f"rec_{s}" for s in range(6)]
                     + ["registered", "planned_start", "planned_production", "terminated"])
        rows = db.execute(f"SELECT code, unit_code, total_investment, {', '.join(stages)}, registered_date, "
                          "planned_start_date, planned_production_date, terminated_date FROM projects ORDER BY code")
        for r in rows:
            rec = list(r[3:9])
            reach, earliest = [None] * 6, None
            for s in range(5, -1, -1):
                if rec[s] is not None and (earliest is None or rec[s] < earliest):
                    earliest = rec[s]
                reach[s] = earliest
            out.writerow(list(r[0:3]) + [d or "" for d in reach + rec] + [d or "" for d in r[9:13]])
    with open(f"{folder}/progress.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["code", "month", "fai", "funds", "outside"])
        for r in db.execute("SELECT project_code, month, coalesce(fai, 0), coalesce(funds_arrived, 0), "
                            "coalesce(out_of_region_funds, 0) FROM progress"):
            out.writerow(r)
    with open(f"{folder}/targets.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["unit", "year", "metric", "value"])
        out.writerows(db.execute("SELECT unit_code, year, metric, value FROM targets"))
    return folder


def main(folder, url=None, token=None):
    if os.path.isfile(folder):
        folder = export_sqlite(folder)
    con = duckdb.connect()
    started = time.perf_counter()
    dates = [f"reach_{s}" for s in range(6)] + [f"rec_{s}" for s in range(6)] + ["registered", "planned_start", "planned_production", "terminated"]
    types = "{" + ", ".join(f"'{c}': 'DATE'" for c in dates) + ", 'total': 'BIGINT'}"
    con.execute(f"CREATE TABLE projects AS SELECT * FROM read_csv('{folder}/projects.csv', header=true, types={types})")
    con.execute(f"CREATE TABLE progress AS SELECT * FROM read_csv('{folder}/progress.csv', header=true, types={{'month': 'DATE', 'fai': 'BIGINT', 'funds': 'BIGINT', 'outside': 'BIGINT'}})")
    con.execute(f"CREATE TABLE targets AS SELECT * FROM read_csv('{folder}/targets.csv', header=true)")
    load = time.perf_counter() - started
    times = []
    for _ in range(7):
        started = time.perf_counter()
        for sql in QUERIES.values():
            con.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    times.sort()
    threads = con.execute("select current_setting('threads')").fetchone()[0]
    print(f"load {load * 1000:.0f} ms; dashboard best {times[0] * 1000:.1f} ms median {statistics.median(times) * 1000:.1f} ms (duckdb {duckdb.__version__}, {threads} threads)")
    four(con, url, token)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[2] == "--graphql":
        main(sys.argv[1], sys.argv[3], sys.argv[4])
    else:
        main(sys.argv[1])
