"""The RESULT lines a benchmark script collected, for its table: imported by
the Python that bench.sh and bench_tls.sh run. Each line of the results file
is NAME|BROKER|REP|RESULT key=value ..."""

import statistics


class Runs:
    def __init__(self, path):
        self.runs = {}
        for line in open(path):
            name, broker, _rep, result = line.rstrip('\n').split('|', 3)
            kv = dict(f.split('=', 1) for f in result.split()[1:] if '=' in f)
            self.runs.setdefault((name, broker), []).append(kv)

    def has(self, name, broker):
        return bool(self.runs.get((name, broker)))

    def median(self, name, broker, key):
        """The median of `key` over the runs of `name` on `broker`, or None."""
        vals = []
        for kv in self.runs.get((name, broker), []):
            try:
                vals.append(float(kv[key]))
            except (KeyError, ValueError):
                pass
        return statistics.median(vals) if vals else None


def fmt(v):
    if v is None:
        return 'n/a'
    if abs(v) >= 1000:
        return f'{v:,.0f}'
    if abs(v) >= 10:
        return f'{v:.1f}'
    return f'{v:.3g}'
