"""Access through the front (nginx: users and per-repository rules, molecule.yml front_rules):

    team-a/*  pull: reader   push: alice   admin: lead-a
    team-b/*  push: bob
    admin (generated) administers everything

Each refusal is shown against the real stack with the real docker (28 and 20.10) and notary CLIs, and the
trust data it would have changed is compared byte for byte before and after. The attack is also shown
working on the path the front protects (straight to notary-server from inside the backend network), so the
tests can fail. docs/FAULTS.md lists every refused request with the answer it got."""
import base64
import hashlib
import json
import os
import uuid

import pytest
import requests

from conftest import (NOTARY, NOTARY_PORT, REGISTRY, REGISTRY_PORT, STACK, ca_cert, credential, inspect_container, run,
                      tiny_image)
from stacktest import docker_client, wait_until

DOCKER_28 = '/usr/local/bin/docker'
DOCKER_20 = '/usr/bin/docker'  # Debian's docker.io client
NOTARY_URL = f'https://localhost:{NOTARY_PORT}'
REGISTRY_URL = f'https://localhost:{REGISTRY_PORT}'
PASSPHRASES = {'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE': 'access-root-passphrase',
               'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE': 'access-repository-passphrase'}
ROLES = ('root', 'targets', 'snapshot', 'timestamp', 'targets/releases')


def password(user):
    return credential('registry_admin' if user == 'admin' else f'user_{user}')


def auth(user):
    return (user, password(user)) if user else None


def notary_http(method, path, user=None):
    return requests.request(method, NOTARY_URL + path, auth=auth(user), verify=ca_cert(), timeout=30)


def gun_path(repo):
    return f'/v2/{repo}/_trust/tuf/'


def trust_data(repo):
    """{role: (status, body)} of repo's trust data as the administrator reads it: what a refusal must not change."""
    return {role: (r.status_code, r.content) for role in ROLES
            for r in [notary_http('GET', f'{gun_path(repo)}{role}.json', 'admin')]}


def tags_of(repo):
    path = repo.split('/', 1)[1]
    r = requests.get(f'{REGISTRY_URL}/v2/{path}/tags/list', auth=auth('admin'), verify=ca_cert(), timeout=30)
    return [] if r.status_code == 404 else r.json().get('tags') or []


@pytest.fixture(scope='module')
def teams(tmp_path_factory):
    """A docker config per user (logged in to the front as that user); team-a/app-<id> pushed and signed by
    alice, team-b/app-<id> by bob, both with the docker 28 CLI."""
    home = tmp_path_factory.mktemp('teams')
    clients = {}
    for user in ('alice', 'bob', 'reader', 'lead-a', 'admin'):
        env = docker_client(str(home / user), NOTARY, REGISTRY, ca_cert(), password=password(user), user=user)
        clients[user] = dict(env, **PASSPHRASES)
    clients[None] = dict(docker_client(str(home / 'anonymous'), NOTARY, REGISTRY, ca_cert()), **PASSPHRASES)
    suffix = uuid.uuid4().hex[:6]
    repos = {'a': f'{REGISTRY}/team-a/app-{suffix}', 'b': f'{REGISTRY}/team-b/app-{suffix}'}
    for user, repo in (('alice', repos['a']), ('bob', repos['b'])):
        tiny_image(clients[user], f'{repo}:v1', home)
        run([DOCKER_28, 'push', f'{repo}:v1'], env=clients[user])
        run([DOCKER_28, 'trust', 'sign', f'{repo}:v1'], env=clients[user])
    return {'clients': clients, 'repos': repos, 'home': home}


def refused(proc, *signs):
    out = (proc.stdout + proc.stderr).lower()
    return proc.returncode != 0 and any(sign.lower() in out for sign in signs)


# ------------------------------------------------------------------ anonymous


def test_anonymous_requests_are_refused_with_401_and_change_nothing(teams, tmp_path):
    repo_b = teams['repos']['b']
    before = trust_data(repo_b)
    assert before['root'][0] == 200 and before['targets'][0] == 200
    answers = {
        'GET /v2/ (notary)': notary_http('GET', '/v2/'),
        'GET the all-repositories changefeed': notary_http('GET', '/v2/_trust/changefeed?records=10'),
        'POST timestamp.key (rotate)': notary_http('POST', f'{gun_path(repo_b)}timestamp.key'),
        'DELETE the trust data': notary_http('DELETE', gun_path(repo_b)),
        'GET root.json': notary_http('GET', f'{gun_path(repo_b)}root.json'),
    }
    for what, answer in answers.items():
        assert answer.status_code == 401, (what, answer.status_code, answer.text)
        assert answer.headers['WWW-Authenticate'].startswith('Bearer realm='), what
    assert trust_data(repo_b) == before

    # notary init + publish of a name nobody has used yet (squatting), with the real notary CLI and no credentials
    squat = f'{REGISTRY}/team-b/squat-{uuid.uuid4().hex[:6]}'
    env = {'NOTARY_ROOT_PASSPHRASE': 'squat-passphrase', 'NOTARY_TARGETS_PASSPHRASE': 'squat-passphrase',
           'NOTARY_SNAPSHOT_PASSPHRASE': 'squat-passphrase'}
    squatted = run(['notary', '-s', NOTARY_URL, '--tlscacert', ca_cert(), '-d', str(tmp_path / 'notary'),
                    'init', squat, '--publish'], env=env, check=False)
    assert refused(squatted, '401', 'not authorized', 'unauthorized'), squatted.stdout + squatted.stderr
    assert notary_http('GET', f'{gun_path(squat)}root.json', 'admin').status_code == 404

    # a registry push without docker login
    ref = f'{REGISTRY}/team-b/anonymous-{uuid.uuid4().hex[:6]}:v1'
    tiny_image(teams['clients'][None], ref, tmp_path)
    pushed = run([DOCKER_28, 'push', ref], env=teams['clients'][None], check=False)
    assert refused(pushed, 'no basic auth credentials', 'unauthorized', 'authentication required'), pushed.stderr
    assert tags_of(ref.rsplit(':', 1)[0]) == []
    upload = requests.post(f'{REGISTRY_URL}/v2/team-b/anonymous/blobs/uploads/', verify=ca_cert(), timeout=30)
    assert upload.status_code == 401 and upload.headers['WWW-Authenticate'].startswith('Basic ')
    assert upload.headers['Docker-Distribution-Api-Version'] == 'registry/2.0'


def backend(service, port, method, path):
    """A request straight to a backend from inside the backend network (the front's network namespace), with no
    credentials: the path the front closes. Returns the HTTP status."""
    front_pid = inspect_container('front')['State']['Pid']
    address = inspect_container(service)['NetworkSettings']['Networks'][f'{STACK}_backend']['IPAddress']
    name = {'notary_server': 'notary-server', 'registry': 'registry'}[service]
    proc = run(['nsenter', '-t', str(front_pid), '-n', 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}',
                '-X', method, '--cacert', ca_cert(), '--resolve', f'{name}:{port}:{address}',
                f'https://{name}:{port}{path}'])
    return int(proc.stdout)


def test_behind_the_front_the_same_anonymous_requests_work(teams, tmp_path):
    """The positive control: notary-server and the registry have no access control of their own."""
    repo = f'{REGISTRY}/team-a/doomed-{uuid.uuid4().hex[:6]}'
    alice = teams['clients']['alice']
    tiny_image(alice, f'{repo}:v1', tmp_path)
    run([DOCKER_28, 'push', f'{repo}:v1'], env=alice)
    run([DOCKER_28, 'trust', 'sign', f'{repo}:v1'], env=alice)
    assert notary_http('DELETE', gun_path(repo)).status_code == 401
    assert trust_data(repo)['root'][0] == 200
    assert backend('notary_server', 4443, 'GET', '/v2/_trust/changefeed?records=10') == 200
    assert backend('registry', 5000, 'GET', '/v2/_catalog') == 200
    assert backend('notary_server', 4443, 'DELETE', gun_path(repo)) == 200
    assert trust_data(repo)['root'][0] == 404, 'the anonymous delete on the backend did not delete'


# ------------------------------------------------------------------ two teams


def test_a_team_a_user_signs_team_a_with_both_docker_clis(teams, tmp_path):
    repo, alice = teams['repos']['a'], teams['clients']['alice']
    tiny_image(alice, f'{repo}:v2', tmp_path)
    run([DOCKER_20, 'push', f'{repo}:v2'], env=alice)
    run([DOCKER_20, 'trust', 'sign', f'{repo}:v2'], env=alice)
    # and the module (it runs docker trust sign with alice's docker login)
    tiny_image(alice, f'{repo}:v3', tmp_path)
    run(['ansible', 'localhost', '-m', 'dct.trust_stack.trust_sign', '-a', json.dumps({
        'repository': repo, 'tags': ['v3'], 'server': NOTARY_URL, 'config_dir': alice['DOCKER_CONFIG'],
        'repository_passphrase': PASSPHRASES['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE']})])
    data = json.loads(run([DOCKER_28, 'trust', 'inspect', repo], env=alice).stdout)[0]
    assert sorted(t['SignedTag'] for t in data['SignedTags']) == ['v1', 'v2', 'v3']


def test_a_team_a_user_cannot_push_or_sign_team_b_and_its_trust_data_stays_as_it_was(teams, tmp_path):
    repo_b, alice = teams['repos']['b'], teams['clients']['alice']
    before = trust_data(repo_b)
    tags_before = tags_of(repo_b)

    # the front's answers, first hand
    path_b = repo_b.split('/', 1)[1]
    upload = requests.post(f'{REGISTRY_URL}/v2/{path_b}/blobs/uploads/', auth=auth('alice'), verify=ca_cert(), timeout=30)
    assert upload.status_code == 403, upload.text
    assert f'not allowed for user alice on repository {path_b} (push)' in upload.text
    publish = notary_http('POST', gun_path(repo_b), 'alice')
    assert publish.status_code == 403 and 'not allowed for user alice' in publish.text

    # the CLIs
    tiny_image(alice, f'{repo_b}:alice', tmp_path)
    pushed = run([DOCKER_28, 'push', f'{repo_b}:alice'], env=alice, check=False)
    assert refused(pushed, 'denied: not allowed for user alice'), pushed.stderr
    run([DOCKER_28, 'trust', 'key', 'generate', 'alice', '--dir', str(tmp_path)], env=alice)
    for cli in (DOCKER_28, DOCKER_20):
        added = run([cli, 'trust', 'signer', 'add', '--key', str(tmp_path / 'alice.pub'), 'alice', repo_b],
                    env=alice, check=False)
        assert added.returncode != 0, added.stdout
        signed = run([cli, 'trust', 'sign', f'{repo_b}:alice'], env=alice, check=False)
        assert signed.returncode != 0, signed.stdout

    # the module says who was refused where
    module = run(['ansible', 'localhost', '-m', 'dct.trust_stack.trust_sign', '-a', json.dumps({
        'repository': repo_b, 'tags': ['alice'], 'server': NOTARY_URL, 'config_dir': alice['DOCKER_CONFIG'],
        'repository_passphrase': PASSPHRASES['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE']})], check=False)
    assert module.returncode != 0
    assert f'not allowed for user alice on repository {repo_b}' in module.stdout, module.stdout

    assert trust_data(repo_b) == before
    assert tags_of(repo_b) == tags_before


def test_a_reader_pulls_with_content_trust_and_cannot_push(teams):
    repo, reader = teams['repos']['a'], teams['clients']['reader']
    ref = f'{repo}:v1'
    run([DOCKER_28, 'image', 'rm', ref], check=False)
    pulled = run([DOCKER_28, 'pull', ref], env=dict(reader, DOCKER_CONTENT_TRUST='1'))
    assert 'Pull (1 of 1)' in pulled.stdout or 'Tagging' in pulled.stdout, pulled.stdout
    # the notary CLI (read-only: credentials through the front's token) as the reader, and as nobody
    listed = run(['notary', '-s', NOTARY_URL, '--tlscacert', ca_cert(), '-d', os.path.join(reader['DOCKER_CONFIG'], 'n'),
                  'list', repo], env={'NOTARY_AUTH': base64.b64encode(f'reader:{password("reader")}'.encode()).decode()})
    assert 'v1' in listed.stdout
    nobody = run(['notary', '-s', NOTARY_URL, '--tlscacert', ca_cert(), '-d', os.path.join(reader['DOCKER_CONFIG'], 'm'),
                  'list', repo], check=False)
    assert refused(nobody, 'not authorized', '401'), nobody.stdout
    pushed = run([DOCKER_28, 'push', ref], env=reader, check=False)
    assert refused(pushed, 'denied: not allowed for user reader'), pushed.stderr


def metadata(repo, role, user):
    """(status, X-Dct-Cache, version or None) of repo's role read through the front as user."""
    r = notary_http('GET', f'{gun_path(repo)}{role}.json', user)
    return r.status_code, r.headers.get('X-Dct-Cache'), r.json()['signed']['version'] if r.status_code == 200 else None


def test_readers_read_metadata_from_the_front_cache_signers_past_it_and_the_rules_come_first(teams, tmp_path):
    """The front caches notary metadata for as long as notary-server allows (max-age 1 s for current metadata):
    a reader's second read is a HIT; alice, who may push team-a, reads past the cache, so she reads what she has
    just published; bob, who may not pull team-a, is refused before the cache although it holds the file. After
    alice publishes, the reader sees the new timestamp within the max-age."""
    repo, alice = teams['repos']['a'], teams['clients']['alice']
    first, again = metadata(repo, 'timestamp', 'reader'), metadata(repo, 'timestamp', 'reader')
    assert first[0] == 200 and first[1] in ('MISS', 'EXPIRED', 'HIT') and again[1] == 'HIT', (first, again)
    assert metadata(repo, 'timestamp', 'alice')[1] == 'BYPASS'
    assert metadata(repo, 'timestamp', 'admin')[1] == 'BYPASS'
    # the rules first: the entry is cached (the reader's HIT above) and bob, who may not pull team-a, gets 403
    assert metadata(repo, 'timestamp', 'bob')[:2] == (403, None)
    assert metadata(repo, 'timestamp', None)[:2] == (401, None)
    # consistent metadata (addressed by checksum) is cached too, for long
    snapshot = notary_http('GET', f'{gun_path(repo)}snapshot.json', 'admin').content
    digest = hashlib.sha256(snapshot).hexdigest()
    by_checksum = [notary_http('GET', f'{gun_path(repo)}snapshot.{digest}.json', 'reader') for dummy in range(2)]
    assert by_checksum[1].headers.get('X-Dct-Cache') == 'HIT' and by_checksum[1].content == snapshot
    assert 'max-age=2592000' in by_checksum[1].headers['Cache-Control']

    # alice publishes and reads her publish at once, with the docker CLI and over HTTP (past the cache)
    version = metadata(repo, 'timestamp', 'alice')[2]
    tiny_image(alice, f'{repo}:cached', tmp_path)
    run([DOCKER_28, 'push', f'{repo}:cached'], env=alice)
    run([DOCKER_28, 'trust', 'sign', f'{repo}:cached'], env=alice)
    inspected = json.loads(run([DOCKER_28, 'trust', 'inspect', repo], env=alice).stdout)[0]
    assert 'cached' in [t['SignedTag'] for t in inspected['SignedTags']]
    published = metadata(repo, 'timestamp', 'alice')[2]
    assert published > version
    # the reader: within the max-age (and a second for the clocks)
    wait_until('the reader reads the new timestamp', lambda: metadata(repo, 'timestamp', 'reader')[2] == published,
               timeout=3, interval=0.2)


def test_only_an_administrator_deletes_trust_data(teams, tmp_path):
    repo, alice = f'{REGISTRY}/team-a/scratch-{uuid.uuid4().hex[:6]}', teams['clients']['alice']
    tiny_image(alice, f'{repo}:v1', tmp_path)
    run([DOCKER_28, 'push', f'{repo}:v1'], env=alice)
    run([DOCKER_28, 'trust', 'sign', f'{repo}:v1'], env=alice)
    before = trust_data(repo)
    for user in ('alice', 'reader', 'bob'):
        answer = notary_http('DELETE', gun_path(repo), user)
        assert answer.status_code == 403, (user, answer.status_code)
        assert notary_http('POST', f'{gun_path(repo)}timestamp.key', user).status_code == 403
    assert notary_http('GET', '/v2/_trust/changefeed?records=10', 'lead-a').status_code == 403
    assert trust_data(repo) == before
    assert notary_http('DELETE', gun_path(repo), 'lead-a').status_code == 200
    assert trust_data(repo)['root'][0] == 404
    assert notary_http('GET', '/v2/_trust/changefeed?records=10', 'admin').status_code == 200
