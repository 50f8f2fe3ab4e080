"""Shared facts and helpers of the default scenario's verifier.

The verifier runs on the controller, which is also the docker host: it talks to the
test stack through loopback and through the stack's own docker networks only.
"""
import json
import os
import pathlib
import sys
import uuid

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / 'tests'))
# pylint: disable-next=wrong-import-position,unused-import
from stacktest import print_logs_if_failed, pytest_runtest_makereport, run  # noqa: E402,F401

STACK = 'dcttest'
NOTARY_PORT = 14443
REGISTRY_PORT = 15000
NOTARY = f'localhost:{NOTARY_PORT}'
REGISTRY = f'localhost:{REGISTRY_PORT}'
MARIADB_IMAGE = 'dct/mariadb:10.11'
SERVICES = ('front', 'mariadb', 'notary_signer', 'notary_server', 'registry')


def state_dir():
    return pathlib.Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'state'


def ca_cert():
    return str(state_dir() / 'pki' / 'ca.crt')


def credential(name):
    return (state_dir() / 'credentials' / name).read_text().strip()


def tiny_image(env, ref, workdir):
    """Build ref: one file of random bytes on scratch, so every call makes new content (and a new digest)."""
    ctx = workdir / uuid.uuid4().hex[:8]
    ctx.mkdir()
    (ctx / 'stamp').write_text(uuid.uuid4().hex)
    (ctx / 'Dockerfile').write_text('FROM scratch\nCOPY stamp /\n')
    run(['docker', 'build', '--no-cache', '-q', '-t', ref, str(ctx)], env=env)


def inspect_container(name):
    return json.loads(run(['docker', 'inspect', f'{STACK}_{name}']).stdout)[0]


@pytest.fixture(autouse=True)
def _print_logs_on_failure(request):
    yield
    print_logs_if_failed(request, STACK, SERVICES)
