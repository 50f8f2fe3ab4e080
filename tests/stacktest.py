"""What the molecule verifiers share: run a command with no stdin and show what happened, make a docker
client that trusts a stack through the documented CA paths, read trust data with an empty cache.

The verifiers run on the controller, which is also the docker host; they talk to the test stacks
through loopback and the stacks' own docker networks only.
"""
import json
import os
import shlex
import shutil
import subprocess
import time

import pytest


def run(argv, env=None, check=True, timeout=300, stdin_text=None):
    """Run argv (stdin empty unless stdin_text); print what happened so a failure shows it."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(argv, input=stdin_text, stdin=None if stdin_text is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, env=full_env, timeout=timeout, check=False)
    print(f'$ {shlex.join(argv)}\nexit {proc.returncode}\nstdout: {proc.stdout[-4000:]}\nstderr: {proc.stderr[-4000:]}')
    if check:
        assert proc.returncode == 0, f'{argv[0]} failed: {proc.stderr[-2000:]}'
    return proc


def trust_ca(config_dir, notary, ca_file):
    """Put the stack CA where the docker CLI looks for the notary server's CA: <config>/tls/<notary>/ca.crt."""
    tls = os.path.join(config_dir, 'tls', notary)
    os.makedirs(tls, mode=0o700, exist_ok=True)
    with open(os.path.join(tls, 'ca.crt'), 'w') as f:
        f.write(open(ca_file).read())


def docker_login(env, registry, password, user='admin'):
    """docker login to registry (the stack's front) as user, password on stdin, in env's DOCKER_CONFIG."""
    run(['docker', 'login', '-u', user, '--password-stdin', registry], env=env, stdin_text=password)


def docker_client(config_dir, notary, registry, ca_file, password=None, user='admin'):
    """A DOCKER_CONFIG that trusts the stack only through its CA at the paths the trust_client role
    uses; logged in to the registry (the front) as user when a password is given. Returns the environment."""
    trust_ca(config_dir, notary, ca_file)
    certs_d = f'/etc/docker/certs.d/{registry}'
    os.makedirs(certs_d, exist_ok=True)
    with open(f'{certs_d}/ca.crt', 'w') as f:
        f.write(open(ca_file).read())
    env = {'DOCKER_CONFIG': str(config_dir), 'DOCKER_CONTENT_TRUST_SERVER': f'https://{notary}'}
    if password is not None:
        docker_login(env, registry, password, user)
    return env


def trust_inspect(refs, notary, ca_file, config_dir, registry=None, password=None):
    """`docker trust inspect` of refs from a client with no cached trust data, so the server answers
    and the client verifies every signature chain again; logged in to registry (the front) as admin when a
    password is given (the front lets only users read). Returns {ref: inspect entry}."""
    trust_ca(config_dir, notary, ca_file)
    shutil.rmtree(os.path.join(config_dir, 'trust'), ignore_errors=True)
    env = {'DOCKER_CONFIG': str(config_dir), 'DOCKER_CONTENT_TRUST_SERVER': f'https://{notary}'}
    if password is not None:
        docker_login(env, registry, password)
    out = run(['docker', 'trust', 'inspect'] + list(refs), env=env).stdout
    return {entry['Name']: entry for entry in json.loads(out)}


def wait_until(what, predicate, timeout=120, interval=1.0):
    """Poll predicate until it returns a true value; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception as exc:  # the thing polled is down: keep polling
            value, last = None, exc
        else:
            last = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f'timed out after {timeout} s waiting for {what} (last error: {last})')
        time.sleep(interval)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pylint: disable=unused-argument
    """Keep each phase's report on the test item (a conftest imports this hook) for print_logs_if_failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, 'rep_' + report.when, report)


def print_logs_if_failed(request, stack, services):
    """After a failed test, print the tail of each stack container's log."""
    report = getattr(request.node, 'rep_call', None)
    if report is not None and report.failed:
        for service in services:
            logs = run(['docker', 'logs', '--tail', '40', f'{stack}_{service}'], check=False)
            print(f'--- docker logs {stack}_{service}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}')
