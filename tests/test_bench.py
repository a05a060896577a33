"""The bench's own logic: judging targets, building the table and its JSON
rows, reading its arguments, argon2 parameters and /proc. No timing here: the
figures are made up, and nothing asserts how fast anything is."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from bench import (
    analysis_load,
    fleet,
    inprocess,
    load,
    logins,
    memory,
    report,
    runner,
    starts,
    summary_sql,
    targets,
    workerload,
    workers,
)
from bench.__main__ import parse_args
from bench.server import server_env


def _round(rps):
    return {"rps": rps}


def _summary(backend, scenario, rounds, variant="pooled", errors=0):
    return {"backend": backend, "scenario": scenario, "variant": variant,
            "rps_median": sorted(rounds)[len(rounds) // 2], "errors": errors,
            "rounds": [_round(r) for r in rounds]}


@pytest.mark.parametrize(("spec_id", "value", "verdict"), [
    ("B1", 0.50, targets.PASS),  # the bound itself passes
    ("B1", 0.49, targets.FAIL),
    ("B1c", 4.0, targets.PASS),
    ("B1c", 4.01, targets.FAIL),
    ("B6", 79.9, targets.PASS),
    ("B6", 80.5, targets.FAIL),
    ("S1", 1.0, targets.PASS),
    ("B4", None, targets.MISSING),
])
def test_judge_compares_with_the_target_in_its_direction(spec_id, value, verdict):
    assert targets.judge(value, targets.SPECS[spec_id]) == verdict


@pytest.mark.parametrize(("values", "baseline", "expected"), [
    ([50, 60, 70], [100, 100, 100], 0.6),
    ([50, 100, 30], [100, 100, 100], 0.5),  # the median of the ratios, not of the figures
    ([10, 20], [0, 40], 0.5),  # a round with no baseline figure is left out
    ([], [], None),
])
def test_paired_ratio_is_the_median_of_per_round_ratios(values, baseline, expected):
    assert targets.paired_ratio(values, baseline) == expected


def test_http_rows_pair_each_round_with_the_baseline_of_that_round():
    summaries = [_summary("baseline", "health", [1000, 500, 1000]),
                 _summary("sqlite", "user_get", [600, 300, 500]),
                 _summary("sqlite", "auth_me", [200, 100, 200])]
    rows = {(r["id"], r["what"]): r for r in targets.http_rows(summaries)}
    user = rows[("B1", "authenticated GET, SQLite, gunicorn: GET /users/<id> (sqlite)")]
    assert user["value"] == pytest.approx(0.6) and user["verdict"] == targets.PASS
    me = rows[("B1", "authenticated GET, SQLite, gunicorn: GET /auth/me (sqlite)")]
    assert me["value"] == pytest.approx(0.2) and me["verdict"] == targets.FAIL
    assert all(r["verdict"] == targets.MISSING for r in rows.values()
               if "postgresql" in r["what"])  # no PostgreSQL figures given


def test_a_row_with_errors_is_not_judged():
    summaries = [_summary("baseline", "health", [100]),
                 _summary("sqlite", "user_get", [90], errors=3)]
    row = next(r for r in targets.http_rows(summaries) if "users" in r["what"])
    assert row["verdict"] == targets.MISSING and "3 errors" in row["figures"]


def test_all_rows_name_every_target_once_at_least_in_order():
    rows = targets.all_rows({"memory_kib": {"sqlite": 81 * 1024, "postgresql": 40 * 1024}})
    ids = [r["id"] for r in rows]
    assert set(ids) == set(targets.SPECS)
    assert ids == sorted(ids, key=list(targets.SPECS).index)
    b6 = [r for r in rows if r["id"] == "B6"]
    assert [r["verdict"] for r in b6] == [targets.FAIL, targets.PASS]
    assert targets.summary_line(rows).startswith(f"1 of {len(rows)} rows pass, 1 fail")


def test_bigdata_rows_give_b3_b4_b5_s1_c1_q1_per_backend():
    ops = {name: {"rounds_ms": rounds, "median_ms": rounds[1]} for name, rounds in {
        "page_1": [2.0, 2.0, 2.0], "page_1000": [2.2, 2.4, 2.6],
        "summary_sql": [10, 10, 10], "summary": [30, 30, 30],
        "count": [5, 5, 5], "similar": [10, 10, 10],
        "list": [1.0, 1.0, 1.0], "list_count": [40, 50, 60],
        "user_list": [1.0, 1.0, 1.0], "user_list_count": [2.0, 3.0, 4.0],
        "q_scan_rare": [100, 100, 100], "q_rare": [60, 40, 50]}.items()}
    result = {"sqlite": {"logs": 1_000_000, "images": 1_000_000, "security": 200_000,
                         "ops": ops, "counted": {"list_count": 1_000_000,
                                                 "user_list_count": 2_000},
                         "generate": {"rows": 1_000_000, "rows_per_s": 20_000,
                                      "raw_rows_per_s": [50_000, 40_000, 30_000]}}}
    c1 = [r for r in targets.bigdata_rows(result) if r["id"] == "C1"]
    assert [r["value"] for r in c1] == [pytest.approx(50), pytest.approx(3)]
    assert "one user's 2,000 logs" in c1[1]["what"]
    rows = {r["id"]: r for r in targets.bigdata_rows(result)}
    assert rows["B3"]["value"] == pytest.approx(1.2) and rows["B3"]["verdict"] == targets.PASS
    assert rows["B5"]["value"] == pytest.approx(3.0) and rows["B5"]["verdict"] == targets.FAIL
    assert rows["S1"]["value"] == pytest.approx(2.0)
    assert rows["Q1"]["value"] == pytest.approx(0.5) and rows["Q1"]["verdict"] == targets.PASS
    assert rows["B4"]["value"] == pytest.approx(0.5) and rows["B4"]["verdict"] == targets.PASS


def test_the_table_has_a_row_per_target_and_the_rows_encode_as_json():
    rows = targets.all_rows({})
    lines = targets.table_lines(rows)
    assert lines[0].split()[:2] == ["#", "what"]
    assert len(lines) == 2 + len(rows)
    assert all(targets.MISSING in line for line in lines[2:])
    assert json.loads(json.dumps(rows)) == rows


def test_imaging_row_uses_the_jpeg_upload_against_its_decode():
    ops = {"decode": {"rounds_ms": [100, 100], "median_ms": 100},
           "inspect_image": {"rounds_ms": [40, 60], "median_ms": 50}}
    row, = targets.imaging_rows({"formats": {"JPEG": {"ops": ops}}})
    assert row["value"] == pytest.approx(0.5) and row["verdict"] == targets.PASS


def test_the_analysis_section_prints_its_figures_against_the_targets(capsys):
    result = {"images": 12, "png_bytes": 209_503, "side": 7000, "statuses": {"201": 12},
              "seconds": 24.3, "analysis_max_s": 24.2, "worker_peak_mb": [833, 1100],
              "worker_idle_mb": [64, 67], "health_count": 180, "health_median_s": 0.018,
              "health_max_s": 0.7}
    analysis_load.print_table(result)
    out = capsys.readouterr().out
    assert "12 x POST /images/<id>/analysis of different 7000x7000 RGBA PNGs" in out
    assert "peak RSS per worker (VmHWM): [833, 1100] MB" in out and "MB: FAIL" in out
    assert "median 0.018 s, max 0.7 s; target max < 1 s: PASS" in out


def test_the_analysis_pngs_declare_49_megapixels_in_a_few_hundred_kb():
    data = analysis_load.huge_png(3)
    assert len(data) < 400_000 and data != analysis_load.huge_png(4)
    with Image.open(io.BytesIO(data)) as im:
        assert (im.size, im.mode) == ((7000, 7000), "RGBA")


# -- arguments ----------------------------------------------------------------
def test_defaults_run_every_section_on_both_backends_and_write_bench_json():
    args, plan = parse_args([])
    assert args.sections == ["imaging", "storage", "similarity", "bigdata", "analysis", "http",
                             "starts", "workers", "fleet"]
    assert args.backends == ["sqlite", "postgresql"]
    assert args.json == "bench.json" and args.log_level is None
    assert plan["scale"] == "default" and plan["rounds"] == 3 and plan["starts"] == 5


def test_quick_and_overrides():
    args, plan = parse_args(["--quick", "--rounds", "5", "--sections", "http,imaging",
                             "--backends", "postgresql", "--json", "-"])
    assert plan["scale"] == "quick" and plan["rounds"] == 5
    assert args.sections == ["imaging", "http"]  # the order they run in
    assert args.backends == ["postgresql"] and args.json == "-"


@pytest.mark.parametrize("argv", [["--sections", "http,gpu"], ["--backends", "mysql"],
                                  ["--sections", ","], ["--rounds", "0"], ["--starts", "0"]])
def test_bad_arguments_stop_with_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse_args(argv)
    assert stopped.value.code == 2
    assert "error" in capsys.readouterr().err


def test_servers_get_the_default_log_level_unless_asked(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.delenv("JANUS_LOG_LEVEL", raising=False)
    env = server_env(parse_args([])[0].log_level)
    assert "DATABASE_URL" not in env and "JANUS_LOG_LEVEL" not in env
    warning = parse_args(["--log-level", "WARNING"])[0].log_level
    assert server_env(warning)["JANUS_LOG_LEVEL"] == "WARNING"


# -- pieces the sections rely on -----------------------------------------------
def test_argon2_parameters_are_read_from_a_hash():
    hashed = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
    assert logins.parameters(hashed) == {"variant": "argon2id", "version": 19,
                                         "memory_kib": 65536, "time_cost": 3, "parallelism": 4}
    with pytest.raises(ValueError):
        logins.parameters("pbkdf2:sha256:1000$x$y")


def test_memory_reads_the_peak_of_a_masters_workers(tmp_path):
    def process(pid, ppid, hwm_kib):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (gunicorn: w) S {ppid} 1 1 0")
        (tmp_path / str(pid) / "status").write_text(
            f"Name:\tgunicorn\nVmPeak:\t 999999 kB\nVmHWM:\t  {hwm_kib} kB\nVmRSS:\t 10 kB\n")

    process(100, 1, 20_000)  # the master
    process(101, 100, 50_000)
    process(102, 100, 61_000)
    process(200, 1, 90_000)  # another server's master: not counted
    (tmp_path / "self").mkdir()
    assert sorted(memory.worker_pids(100, tmp_path)) == [101, 102]
    assert memory.peak_kib(100, tmp_path) == 61_000
    assert memory.peak_kib(999, tmp_path) is None
    assert memory.status_kib("VmRSS:\t 10 kB\n") is None


@pytest.mark.parametrize(("postgres", "day", "mark"), [(False, "DATE(timestamp)", "?"),
                                                       (True, "CAST(timestamp AS DATE)", "%s")])
def test_hand_written_summary_sql_per_backend(postgres, day, mark):
    sql = summary_sql.statements(postgres)
    assert day in sql["logs"] and day in sql["failed_logins"]
    assert sql["counts"].count(mark) == len(summary_sql.COUNTED)
    assert all(mark in text for text in sql.values())


def test_summary_check_names_what_differs():
    rows = {"counts": [(5, 1, 10, 2, 100, 30, 0, 0, 7, 3, 1, 1)],
            "images": [("PNG", "RGB", 1, "ana", 2)], "logs": [("2024-06-01", "x", 30)],
            "failed_logins": [("2024-06-01", 3)]}
    route = {"counts": {"users": {"total": 5, "in_window": 1},
                        "images": {"total": 10, "in_window": 2},
                        "logs": {"total": 100, "in_window": 30},
                        "analytics": {"total": 0, "in_window": 0},
                        "security": {"total": 7, "in_window": 3},
                        "admins": {"total": 1, "in_window": 1}},
             "images_by_format": [{"count": 2}], "actions_per_day": [{"count": 30}],
             "failed_logins_per_day": [{"count": 3}]}
    assert summary_sql.check(route, rows) == []
    route["counts"]["logs"]["in_window"] = 29
    route["failed_logins_per_day"] = [{"count": 2}]
    problems = summary_sql.check(route, rows)
    assert len(problems) == 2 and problems[0].startswith("counts.logs")


def test_workers_choose_the_configuration_with_most_janus_requests():
    summaries = [_summary("baseline", "health", [1000, 1000], "4 x gthread x4"),
                 _summary("sqlite", "user_get", [400, 400], "4 x gthread x4"),
                 _summary("baseline", "health", [900, 900], "2 x sync x1"),
                 _summary("sqlite", "user_get", [450, 300], "2 x sync x1")]
    for s in summaries:
        s["p99_ms"] = 5.0
        s["rps_median"] = sum(r["rps"] for r in s["rounds"]) / len(s["rounds"])
    table = workers.table(summaries)
    assert table["4 x gthread x4"]["x"]["sqlite GET /users/<id>"] == pytest.approx(0.4)
    assert table["2 x sync x1"]["rps"]["baseline"] == 900
    assert workers.choose(table) == "4 x gthread x4"
    assert workers.choose({}) is None


def test_server_log_summary_keeps_warnings_and_errors_only():
    lines = ['{"level": "info", "logger": "janus.access", "message": "request"}\n',
             "[2026-01-01 00:00:00 +0000] [123] [INFO] Booting worker with pid: 4567\n",
             '{"level": "error", "message": "x", "traceback": "T\\n  f\\nValueError: bad"}\n',
             '{"level": "error", "message": "x", "traceback": "T\\n  f\\nValueError: bad"}\n',
             "[2026-01-01 00:00:00 +0000] [123] [CRITICAL] WORKER TIMEOUT (pid:45678)\n", "\n"]
    assert report.log_summary(lines) == {"error: ValueError: bad": 2,
                                         "[CRITICAL] WORKER TIMEOUT (pid:N)": 1}


def test_access_line_cost_is_the_median_of_per_round_differences():
    def ops(rounds):
        return {name: {"rounds_ms": rounds} for name in inprocess.OPS}
    result = {"ops": ops([0.30, 0.50, 0.31]), "no_access_line": ops([0.20, 0.21, 0.30]),
              "line": {"median_ms": 0.04}}
    cost = inprocess.access_line_cost(result)
    assert cost["user_get"] == pytest.approx(100) and cost["line"] == pytest.approx(40)


def test_b1c_is_judged_against_health_and_reports_the_ratio_to_root():
    def summary(rounds):
        return {"rounds_ms": rounds, "median_ms": sorted(rounds)[1]}
    ops = {"health": summary([0.20, 0.25, 0.30]), "root": summary([0.04, 0.05, 0.06]),
           "user_get": summary([0.10, 0.15, 0.20]), "auth_me": summary([0.08, 0.10, 0.12])}
    rows = targets.inprocess_rows({"sqlite": {"ops": ops}})
    assert [r["what"].split(": ")[1] for r in rows] == [
        "GET /users/<id> (sqlite)", "GET /auth/me (sqlite)"]
    assert rows[0]["value"] == pytest.approx(0.6) and rows[0]["verdict"] == targets.PASS
    assert rows[0]["figures"] == "150 vs 250 us CPU; vs GET / (50 us): 3.0x"
    # a result from before GET / was measured still makes the rows
    del ops["root"]
    assert targets.inprocess_rows({"sqlite": {"ops": ops}})[1]["figures"] == "100 vs 250 us CPU"


def test_the_fleet_ratio_is_the_median_of_two_hosts_over_one_per_round():
    def rounds(*rps):
        return {"rounds": [{"rps": value} for value in rps]}
    result = {"targets": [{"variant": fleet.VARIANTS[0], **rounds(900, 900, 900)},
                          {"variant": fleet.VARIANTS[1], **rounds(500, 400, 800)},
                          {"variant": fleet.VARIANTS[2], **rounds(600, 600, 400)}]}
    assert fleet.ratio(result) == pytest.approx(1.2)  # of 1.2, 1.5 and 0.5
    assert fleet.ratio({"skipped": "haproxy not installed"}) is None


# -- B1 over fresh starts (bench/starts.py, bench/workerload.py) ---------------
def _start(rps, held, ticks=(100, 100), errors=0):
    return {"rps": rps, "requests": int(rps * 3), "errors": errors, "worker_ticks": list(ticks),
            "worker_connections": list(held), "cpu_us_per_request": 400.0}


def test_a_starts_summary_names_the_worst_and_median_start_and_its_split():
    summary = starts.summary([_start(3000, [8, 8]), _start(1200, [16, 0], (700, 5)),
                              _start(2900, [10, 6]), _start(3100, [9, 7]),
                              _start(2500, [14, 2])])
    assert (summary["worst"], summary["median"], summary["best"]) == (1200, 2900, 3100)
    assert summary["worst_split"] == {"worker_ticks": [700, 5], "worker_connections": [16, 0]}
    assert summary["uneven_starts"] == 1 and summary["starts"] == 5
    assert summary["cpu_us_per_request_median"] == 400.0


def test_b1_over_starts_is_the_worst_janus_start_against_the_median_bare_one():
    result = {"connections": 16,
              "baseline": starts.summary([_start(r, [8, 8]) for r in (5000, 6000, 5500)]),
              "janus": starts.summary([_start(r, [8, 8]) for r in (3300, 2700, 3500)])}
    row, = targets.starts_rows(result)
    assert row["id"] == "B1" and "worst of 3 fresh starts" in row["what"]
    assert row["value"] == pytest.approx(2700 / 5500) and row["verdict"] == targets.FAIL
    assert "[8, 8] connections" in row["figures"]
    result["janus"] = starts.summary([_start(3300, [8, 8], errors=4)])
    assert targets.starts_rows(result)[0]["verdict"] == targets.MISSING
    assert targets.starts_rows(None) == []


WRK_REPORT = """Running 5s test @ http://127.0.0.1:8000/users/1
  2 threads and 16 connections
  14861 requests in 5.01s, 4.02MB read
  Socket errors: connect 0, read 2, write 3, timeout 0
  Non-2xx or 3xx responses: 5
Requests/sec:   2966.22
"""


def test_wrk_report_gives_requests_time_and_errors():
    assert starts.parse_wrk(WRK_REPORT) == {"requests": 14861, "seconds": 5.01, "errors": 10}
    assert starts.parse_wrk("  9 requests in 900.00ms, 1KB read")["seconds"] == 0.9
    with pytest.raises(RuntimeError):
        starts.parse_wrk("unable to connect to 127.0.0.1:8000 Connection refused")


def test_workerload_reads_each_workers_cpu_and_connections(tmp_path):
    def process(pid, ppid, utime, stime, inodes=(), cutime=0, cstime=0):
        (tmp_path / str(pid) / "fd").mkdir(parents=True)
        fields = [str(ppid)] + ["0"] * 9 + [str(utime), str(stime), str(cutime), str(cstime)]
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (gunicorn: w) S {' '.join(fields)}")
        for fd, inode in enumerate(inodes):
            (tmp_path / str(pid) / "fd" / str(fd)).symlink_to(f"socket:[{inode}]")

    process(100, 1, 5, 1, cutime=30, cstime=10)  # the master; 40 ticks of reaped workers
    process(101, 100, 300, 20, inodes=(11, 12, 13, 99))
    process(102, 100, 40, 5, inodes=(14,))
    (tmp_path / "net").mkdir()
    header = "  sl  local_address rem_address   st tx_queue rx_queue ... uid  timeout inode\n"

    def line(port, state, inode):
        return (f"   0: 0100007F:{port:04X} 0100007F:D431 {state} 00000000:00000000 00:00000000 "
                f"00000000  0 0 {inode} 1 0000000000000000 20 4 30 10 -1\n")

    (tmp_path / "net" / "tcp").write_text(
        header + line(8000, "0A", 99)  # the listening socket
        + "".join(line(8000, "01", inode) for inode in (11, 12, 13, 14))
        + line(5432, "01", 55))  # another port's connection
    (tmp_path / "net" / "tcp6").write_text(header)
    assert workerload.connections(100, 8000, tmp_path) == {101: 3, 102: 1}
    assert workerload.workers_ticks(100, tmp_path) == {101: 320, 102: 45}
    assert workerload.total_ticks(100, tmp_path) == 365 + 40
    assert workerload.ticks_delta({101: 300}, {101: 320, 103: 7}) == {101: 20, 103: 7}


def _result(requests, reconnects):
    return load.Result(requests=requests, errors=0, reconnects=reconnects, seconds=1.0,
                       client_cpu=0.1, p50_ms=1.0, p99_ms=2.0, statuses={})


@pytest.mark.parametrize(("reconnects", "kept", "discarded"), [
    ((0,), 0, 0),          # no restart: one measurement
    ((4, 0), 1, 1),        # a restart: measured again, the clean one kept
    ((4, 2, 1), 2, 2),     # restarts every time: the last try is kept anyway
])
def test_a_round_with_a_worker_restart_is_measured_again(monkeypatch, reconnects, kept,
                                                          discarded):
    tries = iter([_result(1000 + n, r) for n, r in enumerate(reconnects)])
    ticks = iter(range(0, 1000, 50))  # every reading 50 ticks after the previous one
    monkeypatch.setattr(load, "run", lambda port, per_thread, seconds: next(tries))
    monkeypatch.setattr(workerload, "total_ticks", lambda pid: next(ticks))
    target = runner.Target("sqlite", "images_list", "pooled", 1, [], master_pid=4242)
    runner.measure_round(target, 3.0)
    assert [r.requests for r in target.rounds] == [1000 + kept]
    assert [r.requests for r in target.restarted] == [1000 + n for n in range(discarded)]
    # the kept try's own ticks: 50 between its two readings
    assert target.cpu_us == [pytest.approx(50 / workerload.TICKS_PER_SECOND * 1e6
                                           / (1000 + kept))]


def test_a_target_summary_gives_cpu_per_request_and_its_spread():
    target = runner.Target("sqlite", "images_list", "pooled", 1, [])
    target.rounds = [_result(1000, 0), _result(500, 0), _result(800, 0)]
    target.cpu_us = [1000.0, 1100.0, 1250.0]
    target.restarted = [_result(200, 9)]
    s = target.summary()
    assert (s["cpu_us_median"], s["cpu_spread"]) == (1100.0, pytest.approx(0.25))
    assert s["spread"] == pytest.approx(0.5)
    assert [r["reconnects"] for r in s["restarted_rounds"]] == [9]
    no_cpu = runner.Target("baseline", "health", "bare WSGI", 1, [], rounds=target.rounds)
    assert (no_cpu.summary()["cpu_us_median"], no_cpu.summary()["cpu_spread"]) == (None, None)


def test_cold_and_hot_time_each_call_alone_and_evict_before_the_cold_one(monkeypatch):
    events = []
    clock = iter(range(0, 10_000))  # every reading one "second" after the previous
    monkeypatch.setattr(inprocess.timing, "cpu", lambda: next(clock))
    figures = inprocess.cold_and_hot(lambda: events.append("call"), 3,
                                     evict=lambda: events.append("evict"))
    assert events == ["call", "evict", "call"] * 3
    assert figures == {"hot_us": 1e6, "cold_us": 1e6}  # one tick between the readings


def test_evicting_reads_more_than_a_cache_holds():
    assert len(inprocess._EVICT) >= 8 * 1024 * 1024
    assert inprocess.evict_caches() == 0
