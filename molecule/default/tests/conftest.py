"""Shared facts and helpers of the default scenario's verifier.

The verifier runs on the controller, which is also the docker host: it talks to the
test stack through loopback and through the stack's own docker networks only.
"""
import json
import os
import pathlib
import shlex
import subprocess

import pytest

STACK = 'dcttest'
NOTARY_PORT = 14443
REGISTRY_PORT = 15000
NOTARY = f'localhost:{NOTARY_PORT}'
REGISTRY = f'localhost:{REGISTRY_PORT}'
MARIADB_IMAGE = 'dct/mariadb:10.11'
SERVICES = ('mariadb', 'notary_signer', 'notary_server', 'registry')


def state_dir():
    return pathlib.Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'state'


def ca_cert():
    return str(state_dir() / 'pki' / 'ca.crt')


def credential(name):
    return (state_dir() / 'credentials' / name).read_text().strip()


def run(argv, env=None, check=True, timeout=300):
    """Run argv with no stdin; print what happened so a failure shows it."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=full_env, timeout=timeout, check=False)
    print(f'$ {shlex.join(argv)}\nexit {proc.returncode}\nstdout: {proc.stdout[-4000:]}\nstderr: {proc.stderr[-4000:]}')
    if check:
        assert proc.returncode == 0, f'{argv[0]} failed: {proc.stderr[-2000:]}'
    return proc


def inspect_container(name):
    return json.loads(run(['docker', 'inspect', f'{STACK}_{name}']).stdout)[0]


def service_logs(name):
    return run(['docker', 'logs', '--tail', '40', f'{STACK}_{name}'], check=False).stderr


@pytest.fixture(autouse=True)
def _print_logs_on_failure(request):
    """After a failed test, print the tail of every stack container's log."""
    yield
    report = getattr(request.node, 'rep_call', None)
    if report is not None and report.failed:
        for service in SERVICES:
            print(f'--- docker logs {STACK}_{service}\n{service_logs(service)}')


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, 'rep_' + rep.when, rep)
