"""Watching the broker: resident memory (and open files, CPU, store size)
every 10 s, and a SIGHUP now and then."""

import os
import signal
import threading
import time


def proc_status(pid):
    """{field: kB} of VmRSS, RssAnon, RssFile from /proc/PID/status."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    return out


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


class Sampler(threading.Thread):
    """One CSV line per sample: rss,t_s,vmrss_kb,rss_anon_kb,rss_file_kb,fds,cpu_pct,store_kb."""

    INTERVAL = 10

    def __init__(self, ctx, pid, store_path, stop):
        super().__init__(daemon=True, name="sampler")
        self.ctx, self.pid, self.store_path, self.stop = ctx, pid, store_path, stop
        self.samples = []  # (t_s, vmrss_kb)

    def run(self):
        hz = os.sysconf("SC_CLK_TCK")
        print("rss,t_s,vmrss_kb,rss_anon_kb,rss_file_kb,fds,cpu_pct,store_kb", flush=True)
        last_t, last_ticks = time.time(), 0
        for _ in range(1_000_000):
            try:
                st = proc_status(self.pid)
                ticks = cpu_ticks(self.pid)
                fds = len(os.listdir("/proc/%d/fd" % self.pid))
            except (OSError, ValueError):
                return  # the broker is gone; the main thread notices
            now = time.time()
            cpu = 100.0 * (ticks - last_ticks) / hz / max(0.001, now - last_t) if last_ticks else 0.0
            last_t, last_ticks = now, ticks
            try:
                store_kb = os.path.getsize(self.store_path) // 1024
            except OSError:
                store_kb = 0
            t = round(self.ctx.elapsed())
            self.samples.append((t, st["VmRSS"]))
            print("rss,%d,%d,%d,%d,%d,%.0f,%d" % (t, st["VmRSS"], st.get("RssAnon", 0), st.get("RssFile", 0),
                                                  fds, cpu, store_kb), flush=True)
            if self.stop.wait(self.INTERVAL):
                return


MIN_MEMORY_CHECK_S = 15 * 60  # shorter runs are still warming up at the end of their first third


def memory_verdict(samples, load_s):
    """(start, max, end, bound, ok) over the samples of the load phase; see
    soak.py. ok is None (not judged) for runs under 15 minutes."""
    run = [(t, kb) for t, kb in samples if t <= load_s + 5]
    if len(run) < 3:
        return 0, 0, 0, 0, False
    third = load_s / 3.0
    start = min(run, key=lambda s: abs(s[0] - third))[1]
    late = [kb for t, kb in run if t >= third] or [run[-1][1]]
    bound = start + max(4096, start // 20)
    ok = max(late) <= bound if load_s >= MIN_MEMORY_CHECK_S else None
    return start, max(late), run[-1][1], bound, ok


class Hup(threading.Thread):
    """A SIGHUP every `every` s during the load."""

    def __init__(self, ctx, pid, every=60):
        super().__init__(daemon=True, name="sighup")
        self.ctx, self.pid, self.every = ctx, pid, every

    def run(self):
        for _ in range(100_000):
            if not self.ctx.sleep(self.every):
                return
            os.kill(self.pid, signal.SIGHUP)
            self.ctx.count("sighups")
