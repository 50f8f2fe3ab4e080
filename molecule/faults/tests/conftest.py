"""The faults scenario's verifier: the stack dcttestfault, its signers and the 200-tag load.

Signing goes through the collection: molecule/faults/sign.yml, one inventory host per signer, each with
its own docker config under the ephemeral directory. The load fixture signs 200 tags in 10 repositories
with 4 signers at once; the fault tests then check after each fault that none of those signatures is lost.
"""
import hashlib
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import time
import uuid

import pytest
import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / 'tests'))
# pylint: disable-next=wrong-import-position,unused-import
from stacktest import docker_client, print_logs_if_failed, pytest_runtest_makereport, run, trust_inspect, wait_until  # noqa: E402,F401

STACK = 'dcttestfault'
NOTARY = 'localhost:16443'
REGISTRY = 'localhost:17000'
SERVICES = ('front', 'mariadb', 'notary_signer', 'notary_server', 'registry')
SIGNERS = ('signer1', 'signer2', 'signer3', 'signer4')
LOAD_REPOS = [f'{REGISTRY}/load/repo{i:02d}' for i in range(10)]
LOAD_TAGS = [f't{i:02d}' for i in range(1, 21)]
PASSPHRASE = 'faults-test-passphrase'
EPHEMERAL = pathlib.Path(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', '/nonexistent'))
STATE = EPHEMERAL / 'state'
CLIENTS = EPHEMERAL / 'clients'
FS_MOUNT = EPHEMERAL / 'registry-fs'
SIGN_PLAYBOOK = pathlib.Path(__file__).resolve().parents[1] / 'sign.yml'
RESULTS = pathlib.Path(__file__).resolve().parents[3] / 'build' / 'test-results'


RECORD = {}


def record(fault, **facts):
    """Note what a fault gave (docs/FAULTS.md and docs/BENCHMARKS.md quote it)."""
    RECORD.setdefault(fault, {}).update(facts)


def pytest_sessionfinish(session):  # pylint: disable=unused-argument
    """Print what the faults and the load gave, and keep it in build/test-results (molecule removes
    its ephemeral directory)."""
    if RECORD:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / 'faults.json').write_text(json.dumps(RECORD, indent=2) + '\n')
        print(f'\nfaults and load: {json.dumps(RECORD, indent=2)}')


def failure_message(output):
    """The failed task's result (from the first failed item or host to the recap), on one line."""
    starts = [i for i in (output.find('failed: ['), output.find('fatal: [')) if i >= 0]
    start = min(starts) if starts else max(len(output) - 1500, 0)
    end = output.find('PLAY RECAP', start)
    return ' '.join(output[start:end if end >= 0 else None].split())[:3000]


def ca_cert():
    return str(STATE / 'pki' / 'ca.crt')


def registry_auth():
    return ('admin', (STATE / 'credentials' / 'registry_admin').read_text().strip())


def owner(repo):
    """Signer i % 4 owns load repository i."""
    return SIGNERS[LOAD_REPOS.index(repo) % len(SIGNERS)]


def client_env(signer):
    return {'DOCKER_CONFIG': str(CLIENTS / signer / 'docker'), 'DOCKER_CONTENT_TRUST_SERVER': f'https://{NOTARY}'}


def build_images(repo, tags, layer_bytes=0):
    """Put one image per tag into the daemon with one `docker load`: a shared layer (a file of
    layer_bytes random bytes, or a short random stamp) and a config per tag, so each tag has its own
    digest. One load instead of a `docker build` per tag: 200 builds took about 40 s."""
    stamp = os.urandom(layer_bytes) if layer_bytes else uuid.uuid4().bytes
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode='w') as tar:
        info = tarfile.TarInfo('stamp')
        info.size, info.mode = len(stamp), 0o644
        tar.addfile(info, io.BytesIO(stamp))
    layer = layer.getvalue()
    diff_id = 'sha256:' + hashlib.sha256(layer).hexdigest()
    archive = EPHEMERAL / f'images-{uuid.uuid4().hex[:8]}.tar'
    manifest = []
    with tarfile.open(archive, mode='w') as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add('layer/layer.tar', layer)
        for tag in tags:
            config = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {'Labels': {'tag': f'{repo}:{tag}'}},
                                 'rootfs': {'type': 'layers', 'diff_ids': [diff_id]}}).encode()
            name = hashlib.sha256(config).hexdigest() + '.json'
            add(name, config)
            manifest.append({'Config': name, 'RepoTags': [f'{repo}:{tag}'], 'Layers': ['layer/layer.tar']})
        add('manifest.json', json.dumps(manifest).encode())
    run(['docker', 'load', '-q', '-i', str(archive)])
    archive.unlink()


def sign_command(assignments, administers=None):
    """ansible-playbook argv that signs {signer: [{repository, tags}]}, the signers in parallel; administers:
    {signer: [{repository, signers}]}, who makes whom a signer of a repository first."""
    EPHEMERAL.mkdir(parents=True, exist_ok=True)
    inventory = EPHEMERAL / f'signers-{uuid.uuid4().hex[:8]}.json'
    hosts = {s: {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable, 'sign_repos': repos,
                 'administers': (administers or {}).get(s, [])}
             for s, repos in assignments.items()}
    inventory.write_text(json.dumps({'signers': {'hosts': hosts}}))
    extra = EPHEMERAL / 'sign-vars.json'
    if not extra.exists():
        extra.touch(mode=0o600)
        extra.write_text(json.dumps({'server': f'https://{NOTARY}', 'client_dir': str(CLIENTS), 'passphrase': PASSPHRASE}))
    return ['ansible-playbook', '-i', str(inventory), '-f', str(len(SIGNERS)), '-e', f'@{extra}', str(SIGN_PLAYBOOK)]


def sign(assignments, check=True, timeout=900, administers=None):
    return run(sign_command(assignments, administers), check=check, timeout=timeout)


def sign_in_background(assignments):
    log = open(EPHEMERAL / f'background-{uuid.uuid4().hex[:8]}.log', 'w+')
    proc = subprocess.Popen(sign_command(assignments), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.log = log
    return proc


def finish(proc, timeout=600):
    """Wait for a background signing run; return (exit code, its output)."""
    rc = proc.wait(timeout=timeout)
    proc.log.seek(0)
    out = proc.log.read()
    print(f'background signing run: exit {rc}\n{out[-5000:]}')
    return rc, out


def registry_tags(repo):
    name = repo.split('/', 1)[1]
    resp = requests.get(f'https://{REGISTRY}/v2/{name}/tags/list', auth=registry_auth(), verify=ca_cert(), timeout=10)
    return (resp.json().get('tags') or []) if resp.status_code == 200 else []


def trust_tags(repo):
    """The tags in repo's targets/releases as the notary server serves them now (not verified: for waiting
    on a signing run's progress, not for judging it)."""
    resp = requests.get(f'https://{NOTARY}/v2/{repo}/_trust/tuf/targets/releases.json', auth=registry_auth(),
                        verify=ca_cert(), timeout=10)
    return sorted(resp.json()['signed']['targets']) if resp.status_code == 200 else []


def registry_digest(repo, tag):
    name = repo.split('/', 1)[1]
    resp = requests.head(f'https://{REGISTRY}/v2/{name}/manifests/{tag}', auth=registry_auth(), verify=ca_cert(), timeout=10,
                         headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'})
    assert resp.status_code == 200, f'{repo}:{tag}: registry answers {resp.status_code}'
    return resp.headers['Docker-Content-Digest'].split(':', 1)[1]


def signed(repos, tmp_path):
    """{repo: {tag: (digest, signers)}} read with an empty trust cache, so every chain is verified again."""
    data = trust_inspect(repos, NOTARY, ca_cert(), str(tmp_path / f'inspect-{uuid.uuid4().hex[:8]}'),
                         REGISTRY, registry_auth()[1])
    return {repo: {t['SignedTag']: (t['Digest'], tuple(t['Signers'])) for t in data[repo]['SignedTags']} for repo in repos}


def stack_healthy():
    notary = requests.get(f'https://{NOTARY}/_notary_server/health', verify=ca_cert(), timeout=5).status_code == 200
    registry = requests.get(f'https://{REGISTRY}/v2/', auth=registry_auth(), verify=ca_cert(), timeout=5).status_code == 200
    return notary and registry


def container(service):
    return json.loads(run(['docker', 'inspect', f'{STACK}_{service}']).stdout)[0]


# notary-server checks its signer every 10 s ("Trust operational"), so for up to 10 s after a fault its
# health still shows the state before it; the modules refuse to change anything while it shows 503
HEALTH_PERIOD = 11


def wait_for_stack(what, timeout=180):
    """Every container running, then notary and the registry healthy at least one notary health period
    after that, so the health check has looked at the stack as it is now."""
    wait_until(f'{what}: every container running', lambda: all(container(s)['State']['Running'] for s in SERVICES),
               timeout=timeout)
    running_at = time.monotonic()
    wait_until(f'{what}: notary and the registry healthy {HEALTH_PERIOD} s after every container runs',
               lambda: time.monotonic() - running_at >= HEALTH_PERIOD and stack_healthy(), timeout=timeout)


@pytest.fixture(scope='session')
def load(tmp_path_factory):
    """Sign 200 tags (10 repositories x 20 tags) as 4 signers at once through the collection's modules."""
    password = registry_auth()[1]
    # keys and trust caches of an earlier run belong to a stack that destroy removed
    shutil.rmtree(CLIENTS, ignore_errors=True)
    for signer in SIGNERS:
        docker_client(str(CLIENTS / signer / 'docker'), NOTARY, REGISTRY, ca_cert(), password=password)
    started = time.monotonic()
    for repo in LOAD_REPOS:
        build_images(repo, LOAD_TAGS)
    built = time.monotonic()
    assignments = {s: [] for s in SIGNERS}
    for repo in LOAD_REPOS:
        assignments[owner(repo)].append({'repository': repo, 'tags': LOAD_TAGS})
    first = sign(assignments)
    signed_at = time.monotonic()
    second = sign(assignments)
    rerun_at = time.monotonic()
    baseline = signed(LOAD_REPOS, tmp_path_factory.mktemp('load'))
    figures = {
        'tags': len(LOAD_REPOS) * len(LOAD_TAGS), 'repositories': len(LOAD_REPOS), 'signers': len(SIGNERS),
        'cores': os.cpu_count(), 'build_seconds': round(built - started, 1),
        'sign_seconds': round(signed_at - built, 1), 'rerun_seconds': round(rerun_at - signed_at, 1),
    }
    figures['tags_per_second'] = round(figures['tags'] / figures['sign_seconds'], 2)
    record('load', **figures)
    return {'assignments': assignments, 'first': first, 'second': second, 'baseline': baseline, 'figures': figures}


@pytest.fixture
def assert_load_intact(load, tmp_path):
    """After a fault: every one of the 200 load signatures is still there, for the same digest."""
    def check():
        now = signed(LOAD_REPOS, tmp_path)
        for repo, tags in load['baseline'].items():
            lost = {t: v for t, v in tags.items() if now[repo].get(t) != v}
            assert not lost, f'{repo}: signatures lost or changed: {sorted(lost)}'
    return check


@pytest.fixture(autouse=True)
def _print_logs_on_failure(request):
    yield
    print_logs_if_failed(request, STACK, SERVICES)
