#!/usr/bin/env python3
"""Watches the machine for stalls while a benchmark runs (issue 14: the rare second when
both servers and the writes slow at once).

Every 10 ms, at real-time priority (SCHED_FIFO, so that the machine's own load cannot
delay it; run as root), it wakes and notes how late it woke: a wake-up later than
`--gap` ms means nothing on this machine could run for that long (the virtual machine's
CPUs taken by its host, or the kernel holding them). Each second it prints one line from
/proc/stat and /proc/vmstat: the CPU's shares (user, system, idle, I/O wait, steal: time
the host ran something else while this machine wanted to run), the threads runnable, and
the counters of memory stalls and reads from disk (direct compaction, direct reclaim,
major faults, KiB paged in, pages reclaimed), and what a DAMON proactive reclaim paged
out when the machine runs one. When
more than `--crowd` threads are runnable it also names the processes they belong to.

    python3 benches/stalls.py --out /tmp/stalls.log &   # beside the bench; stop it after

With `--postgres URL` it also runs `psql` beside it, which every 0.2 s writes to
`<out>.pg` what PostgreSQL's processes that are not idle wait for (`pg_stat_activity`:
`CPU` for none; e.g. `IO:WALSync`, `Lock:tuple`, `Client:ClientRead`) and how many.

Lines are stamped with the wall clock (UTC), as the live bench prints the load's start.
"""

import argparse
import collections
import datetime
import os
import subprocess
import sys
import time


def cpu_and_running():
    """The first CPU line of /proc/stat as (user, system, idle, iowait, steal) jiffies,
    and procs_running."""
    cpu, running = None, 0
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                v = [int(x) for x in line.split()[1:]]
                # user nice system idle iowait irq softirq steal
                cpu = (v[0] + v[1], v[2] + v[5] + v[6], v[3], v[4], v[7])
            elif line.startswith("procs_running"):
                running = int(line.split()[1])
    return cpu, running


VMSTAT = ("compact_stall", "allocstall_normal", "pgmajfault", "pgpgin", "pgsteal_kswapd", "pgsteal_direct")

# A DAMON-based proactive reclaim (some virtual machines run one: page out what was not
# touched for a while), whose work per second is counted too when it is there.
DAMON = "/sys/kernel/mm/damon/admin/kdamonds/0"


class Damon:
    """[`damon_applied`] asked on a thread of its own: the request waits for the DAMON
    thread's next sample (and longer when the machine is busy), which would hold the
    sampler's loop. `latest` is the last answer."""

    def __init__(self):
        import threading

        self.latest = damon_applied()
        threading.Thread(target=self.follow, daemon=True).start()

    def follow(self):
        while True:
            self.latest = damon_applied()
            time.sleep(1.0)


def damon_applied():
    """Bytes the first DAMON scheme has paged out so far, or None."""
    try:
        with open(f"{DAMON}/state", "w") as f:
            f.write("update_schemes_stats")
        with open(f"{DAMON}/contexts/0/schemes/0/stats/sz_applied") as f:
            return int(f.read())
    except OSError:
        return None


def vmstat():
    out = {}
    with open("/proc/vmstat") as f:
        for line in f:
            name, value = line.split()
            if name in VMSTAT:
                out[name] = int(value)
    return out


def runnable_by_process():
    """How many threads of each process name are runnable (state R) now."""
    count = collections.Counter()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    stat = f.read()
                # comm is in parentheses and may hold spaces; the state follows it.
                comm = stat[stat.index("(") + 1 : stat.rindex(")")]
                if stat[stat.rindex(")") + 2] == "R":
                    count[comm] += 1
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return count


# What PostgreSQL's busy processes wait for, by kind (client backends by state).
WAITS = """SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') || ' '
    || coalesce(string_agg(what || '=' || n, ' ' ORDER BY n DESC, what), '-')
FROM (SELECT CASE WHEN backend_type = 'client backend' THEN state ELSE backend_type END
        || ':' || coalesce(wait_event_type || ':' || wait_event, 'CPU') AS what, count(*) AS n
      FROM pg_stat_activity
      WHERE pid <> pg_backend_pid() AND coalesce(state, '') <> 'idle'
        AND backend_type NOT IN ('logical replication launcher', 'autovacuum launcher')
        AND coalesce(wait_event, '') NOT IN ('WalWriterMain', 'CheckpointerMain', 'BgWriterMain',
            'BgWriterHibernate', 'AutoVacuumMain', 'LogicalLauncherMain', 'WalSenderMain')
      GROUP BY 1) AS busy
\\watch 0.2
"""


def watch_postgres(url, path):
    """`psql` writing [`WAITS`] to `path` every 0.2 s, until this sampler ends (however
    it ends: the kernel stops `psql` when its parent dies, else `\\watch` would go on)."""

    def die_with_parent():
        import ctypes
        import signal

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    with open(path, "w") as f:
        return subprocess.Popen(
            ["psql", "-X", "-q", "-At", url], stdin=subprocess.PIPE, stdout=f, text=True, preexec_fn=die_with_parent
        )


def stamp(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S.%f")[:-3]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="-", help="where to write (default: standard output)")
    parser.add_argument("--gap", type=float, default=50.0, help="report wake-ups later than this (ms)")
    parser.add_argument("--crowd", type=int, default=12, help="name the runnable threads above this many")
    parser.add_argument("--seconds", type=float, default=0, help="stop after this long (0: never)")
    parser.add_argument("--postgres", help="also watch what this server's processes wait for (to <out>.pg)")
    args = parser.parse_args()
    out = sys.stdout if args.out == "-" else open(args.out, "w", buffering=1)
    if args.postgres:
        psql = watch_postgres(args.postgres, ("stalls" if args.out == "-" else args.out) + ".pg")
        psql.stdin.write(WAITS)
        psql.stdin.flush()
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(50))
        out.write("# at SCHED_FIFO 50\n")
    except PermissionError:
        out.write("# not at real-time priority (not root): late wake-ups may be this sampler's own\n")
    out.write("# time UTC | user sys idle iowait steal (% of the machine) | runnable | " + " ".join(VMSTAT) + "\n")
    hz = os.sysconf("SC_CLK_TCK")
    cores = os.cpu_count() or 1
    started = time.time()
    damon_thread = Damon()
    (last_cpu, _), last_vm, last_damon = cpu_and_running(), vmstat(), damon_thread.latest
    last_second = time.time()
    max_running = 0
    last_crowd = 0.0
    while args.seconds <= 0 or time.time() - started < args.seconds:
        # Late against the sleep asked for alone: this loop's own work is not a stall of
        # the machine.
        asleep = time.monotonic()
        time.sleep(0.01)
        now = time.monotonic()
        late = (now - asleep - 0.01) * 1000
        if late > args.gap:
            out.write(f"{stamp(time.time())} GAP woke {late:.0f} ms late\n")
        cpu, running = cpu_and_running()
        max_running = max(max_running, running)
        # Naming them reads every thread's stat: at most twice a second.
        if running > args.crowd and now - last_crowd >= 0.5:
            last_crowd = now
            crowd = runnable_by_process()
            out.write(f"{stamp(time.time())} CROWD {running} runnable: {dict(crowd.most_common(6))}\n")
        if time.time() - last_second >= 1.0:
            vm = vmstat()
            elapsed = time.time() - last_second
            total = max(1, sum(c - p for c, p in zip(cpu, last_cpu)))
            shares = " ".join(f"{100 * (c - p) / total:5.1f}" for c, p in zip(cpu, last_cpu))
            counters = " ".join(str(vm.get(k, 0) - last_vm.get(k, 0)) for k in VMSTAT)
            # Steal in ms of one core per second, too: what the host took.
            steal_ms = (cpu[4] - last_cpu[4]) * 1000 / hz / elapsed
            damon = damon_thread.latest
            paged_out = "" if damon is None or last_damon is None else f" | DAMON paged out {(damon - last_damon) >> 20} MiB"
            out.write(
                f"{stamp(time.time())} {shares} | max {max_running:2d} | {counters} | steal {steal_ms:.0f} ms/s of {cores} cores{paged_out}\n"
            )
            last_cpu, last_vm, last_second, max_running, last_damon = cpu, vm, time.time(), 0, damon


if __name__ == "__main__":
    main()
