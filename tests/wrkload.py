"""wrk (Debian's HTTP load generator) as make bench and the ha scenario run it: one measurement of a URL with a
number of connections open at once, parsed into numbers."""
import os
import re
import shutil
import subprocess
import tempfile

UNITS = {'us': 0.001, 'ms': 1.0, 's': 1000.0}


def wrk(url, token=None, connections=16, seconds=10):
    """{'rps', 'p50_ms', 'p99_ms', 'requests', 'errors'} of wrk against url (errors: socket errors and answers that
    are not 2xx/3xx). A bearer token goes in a 0600 Lua script, never on the command line."""
    if not shutil.which('wrk'):
        raise RuntimeError('wrk is not installed (apt-get install wrk; scripts/bootstrap-docker.sh installs it)')
    with tempfile.TemporaryDirectory() as scratch:
        script = os.path.join(scratch, 'auth.lua')
        with open(os.open(script, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as handle:
            handle.write('wrk.headers["Authorization"] = "Bearer %s"\n' % token if token else '')
        proc = subprocess.run(['wrk', '-t', '2', '-c', str(connections), '-d', '%ds' % seconds, '--latency', '-s', script,
                               url], capture_output=True, text=True, check=True, timeout=seconds + 60)
    out = proc.stdout
    latency = dict((p, float(v) * UNITS[u]) for p, v, u in re.findall(r'^\s+(50|99)%\s+([0-9.]+)(us|ms|s)$', out, re.M))
    socket_errors = sum(int(n) for n in re.findall(r'(?:connect|read|write|timeout) (\d+)', out))
    non_2xx = re.search(r'Non-2xx or 3xx responses: (\d+)', out)
    return {'rps': float(re.search(r'Requests/sec:\s+([0-9.]+)', out).group(1)), 'p50_ms': latency['50'],
            'p99_ms': latency['99'], 'requests': int(re.search(r'(\d+) requests in', out).group(1)),
            'errors': socket_errors + (int(non_2xx.group(1)) if non_2xx else 0)}
