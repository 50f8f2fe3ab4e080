"""The deployed trust stack: TLS, auth, exposure, databases, a real DCT round trip, persistence."""
import json
import os
import re
import sys
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from conftest import (MARIADB_IMAGE, NOTARY, NOTARY_PORT, REGISTRY, REGISTRY_PORT, STACK,
                      ca_cert, credential, inspect_container, run, state_dir, tiny_image)
from stacktest import docker_client, trust_inspect


def test_notary_health_is_200_with_tls_verified_against_the_ca():
    resp = requests.get(f'https://localhost:{NOTARY_PORT}/_notary_server/health', verify=ca_cert(), timeout=10)
    assert resp.status_code == 200, resp.text


def test_notary_tls_is_not_trusted_without_the_ca():
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f'https://localhost:{NOTARY_PORT}/_notary_server/health', timeout=10)


def test_registry_wants_credentials():
    url = f'https://localhost:{REGISTRY_PORT}/v2/'
    assert requests.get(url, verify=ca_cert(), timeout=10).status_code == 401
    assert requests.get(url, verify=ca_cert(), auth=('admin', 'wrong-password'), timeout=10).status_code == 401
    ok = requests.get(url, verify=ca_cert(), auth=('admin', credential('registry_admin')), timeout=10)
    assert ok.status_code == 200


@pytest.mark.parametrize('service,published', [
    ('front', {'4443/tcp', '5000/tcp'}),
    ('notary_server', set()),
    ('registry', set()),
    ('notary_signer', set()),
    ('mariadb', set()),
])
def test_only_the_front_publishes_ports(service, published):
    container = inspect_container(service)
    bindings = container['HostConfig']['PortBindings'] or {}
    assert set(bindings) == published
    ports = {b['HostPort'] for v in bindings.values() for b in v}
    assert ports <= {str(NOTARY_PORT), str(REGISTRY_PORT)}


def test_backend_signer_and_mariadb_networks_are_internal():
    for net in ('backend', 'signer', 'db'):
        info = json.loads(run(['docker', 'network', 'inspect', f'{STACK}_{net}']).stdout)[0]
        assert info['Internal'] is True, net


def stack_container(stack, networks):
    """Run stack_container on this host (ad hoc, as the service_container role would) for a container that only
    prints the MariaDB version, on networks."""
    args = json.dumps({'stack': stack, 'service': 'probe', 'image': MARIADB_IMAGE, 'command': ['--version'],
                       'restart_policy': 'no', 'networks': networks})
    return run(['ansible', 'localhost', '-c', 'local', '-i', 'localhost,', '-e', f'ansible_python_interpreter={sys.executable}',
                '-m', 'dct.trust_stack.stack_container', '-a', args], check=False)


def test_a_stack_network_that_is_not_as_wanted_is_named_and_nothing_is_made():
    stack = f'{STACK}net{uuid.uuid4().hex[:6]}'
    made = [f'{stack}_front', f'{stack}_db']
    try:
        run(['docker', 'network', 'create', f'{stack}_db'])  # not internal, no stack label: made by hand
        proc = stack_container(stack, [{'name': f'{stack}_front'}, {'name': f'{stack}_db', 'internal': True}])
        out = ' '.join(proc.stdout.split())
        assert proc.returncode != 0 and f'{stack}_db (internal false, label org.dct.trust_stack.stack=;' in out, out
        assert run(['docker', 'network', 'inspect', f'{stack}_front'], check=False).returncode != 0, 'front was made'
        assert run(['docker', 'container', 'inspect', f'{stack}_probe'], check=False).returncode != 0, 'container made'
        # positive control: the same call after the stray network is gone makes both networks (and the container)
        run(['docker', 'network', 'rm', f'{stack}_db'])
        first = stack_container(stack, [{'name': f'{stack}_front'}, {'name': f'{stack}_db', 'internal': True}])
        assert first.returncode == 0 and 'CHANGED' in first.stdout, first.stdout
        info = json.loads(run(['docker', 'network', 'inspect', f'{stack}_db']).stdout)[0]
        assert info['Internal'] is True and info['Labels'] == {'org.dct.trust_stack.stack': stack}
    finally:
        run(['docker', 'rm', '-f', f'{stack}_probe'], check=False)
        for name in made:
            run(['docker', 'network', 'rm', name], check=False)


def db_query(user, password, database, sql):
    """Run sql as user from a throwaway client on the stack's database network."""
    return run(['docker', 'run', '--rm', '--network', f'{STACK}_db', '-e', 'MYSQL_PWD',
                '--entrypoint', 'mariadb', MARIADB_IMAGE, '-h', 'mariadb', '-u', user,
                '--batch', '--skip-column-names', database, '-e', sql],
               env={'MYSQL_PWD': password}, check=False)


@pytest.mark.parametrize('user,own,other,tables', [
    ('server', 'notaryserver', 'notarysigner', {'tuf_files', 'change_category', 'changefeed'}),
    ('signer', 'notarysigner', 'notaryserver', {'private_keys'}),
])
def test_database_users_reach_only_their_own_database(user, own, other, tables):
    password = credential(f'mariadb_{user}')
    assert len(password) >= 16
    assert db_query(user, '', own, 'SELECT 1').returncode != 0, 'an empty password was accepted'
    mine = db_query(user, password, own, 'SHOW TABLES')
    assert mine.returncode == 0
    assert tables <= set(mine.stdout.split())
    theirs = db_query(user, password, other, 'SHOW TABLES')
    assert theirs.returncode != 0
    assert 'Access denied' in theirs.stderr


@pytest.mark.parametrize('password_of', ['mariadb_server', 'mariadb_signer', 'mariadb_root'])
def test_mariadb_root_is_not_reachable_over_the_network(password_of):
    """Not with the notary containers' credentials, and not even with root's own password: root is
    root@localhost only (the unix socket inside the container)."""
    refused = db_query('root', credential(password_of), 'mysql', 'SELECT 1')
    assert refused.returncode != 0
    assert 'Access denied' in refused.stderr or 'is not allowed to connect' in refused.stderr, refused.stderr
    # positive control: the same client and network work for the server's own user
    assert db_query('server', credential('mariadb_server'), 'notaryserver', 'SELECT 1').returncode == 0


def test_migrations_are_recorded():
    for user, database, versions in (('server', 'notaryserver', {'1', '2'}), ('signer', 'notarysigner', {'1'})):
        out = run(['docker', 'exec', f'{STACK}_mariadb', 'mariadb', '--batch', '--skip-column-names',
                   database, '-e', 'SELECT version FROM dct_schema_migrations'])
        assert set(out.stdout.split()) == versions


@pytest.fixture(scope='module')
def client(tmp_path_factory):
    """A docker CLI client trusting the stack only through the CA at the documented paths."""
    home = tmp_path_factory.mktemp('client')
    env = docker_client(str(home / 'docker'), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin'))
    env.update({
        'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE': 'test-root-passphrase',
        'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE': 'test-repository-passphrase',
    })
    return {'env': env, 'home': home}


@pytest.fixture(scope='module')
def signed(client):
    """Build a tiny image, push it, add signer alice and sign the tag with the plain docker CLI."""
    env, home = client['env'], client['home']
    repo = f'{REGISTRY}/molecule/roundtrip-{uuid.uuid4().hex[:8]}'  # fresh trust data on every run
    ref = f'{repo}:v1'
    tiny_image(env, ref, home)
    run(['docker', 'push', ref], env=env)
    digest = run(['docker', 'image', 'inspect', '--format', '{{index .RepoDigests 0}}', ref], env=env).stdout.strip()
    run(['docker', 'trust', 'key', 'generate', 'alice', '--dir', str(home)], env=env)
    run(['docker', 'trust', 'signer', 'add', '--key', str(home / 'alice.pub'), 'alice', repo], env=env)
    run(['docker', 'trust', 'sign', ref], env=env)
    return {'ref': ref, 'repo': repo, 'digest': digest.split('@sha256:')[1], 'env': env}


def inspect_trust(ref, tmp_path):
    """docker trust inspect from a client with no cached trust data, so it asks the server."""
    return next(iter(trust_inspect([ref], NOTARY, ca_cert(), str(tmp_path / 'fresh-docker-config'),
                                   REGISTRY, credential('registry_admin')).values()))


def test_docker_trust_round_trip(signed, tmp_path):
    data = inspect_trust(signed['ref'], tmp_path)
    tags = {t['SignedTag']: t for t in data['SignedTags']}
    assert tags['v1']['Digest'] == signed['digest']
    assert tags['v1']['Signers'] == ['alice']
    assert [s['Name'] for s in data['Signers']] == ['alice']


def changed_count(proc):
    return int(re.search(r'localhost\s+: ok=\d+\s+changed=(\d+)', proc.stdout).group(1))


def container_drift():
    """What of the stack's containers differs from what the roles make: a missing network, another restart
    policy, a stopped container."""
    drift = []
    if 'db' not in [n.split('_')[-1] for n in inspect_container('notary_server')['NetworkSettings']['Networks']]:
        drift.append('notary_server off the db network')
    if inspect_container('registry')['HostConfig']['RestartPolicy']['Name'] != 'unless-stopped':
        drift.append('registry restart policy')
    if not inspect_container('notary_signer')['State']['Running']:
        drift.append('notary_signer stopped')
    return drift


def test_a_container_changed_by_hand_is_put_back_and_a_second_run_changes_nothing():
    # a re-run reads the containers once and runs stack_container only where something differs: changes made
    # by hand on a live container (networks, restart policy, state) must still be found and undone
    run(['docker', 'network', 'disconnect', f'{STACK}_db', f'{STACK}_notary_server'])
    run(['docker', 'update', '--restart=no', f'{STACK}_registry'])
    run(['docker', 'stop', f'{STACK}_notary_signer'])
    assert len(container_drift()) == 3, container_drift()
    scenario = os.environ['MOLECULE_SCENARIO_DIRECTORY']
    inventory = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])
    converge = run(['ansible-playbook', '-i', inventory, f'{scenario}/converge.yml'], timeout=900)
    assert 'failed=0' in converge.stdout and changed_count(converge) >= 3, converge.stdout[-3000:]
    assert container_drift() == []
    again = run(['ansible-playbook', '-i', inventory, f'{scenario}/converge.yml'], timeout=900)
    assert 'failed=0' in again.stdout and changed_count(again) == 0, again.stdout[-3000:]


def test_trust_data_survives_removal_of_every_container_check_mode_predicts_the_redeploy_and_no_secret_is_logged(
        signed, tmp_path):
    for service in ('front', 'registry', 'notary_server', 'notary_signer', 'mariadb'):
        run(['docker', 'rm', '-f', f'{STACK}_{service}'])
    for net in ('front', 'backend', 'signer', 'db'):
        run(['docker', 'network', 'rm', f'{STACK}_{net}'])
    scenario = os.environ['MOLECULE_SCENARIO_DIRECTORY']
    inventory = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])  # molecule's whole inventory
    # check mode where no container and no network is left (the volumes are): it must predict, not fail
    check = run(['ansible-playbook', '--check', '-i', inventory, f'{scenario}/converge.yml'], timeout=900)
    assert 'failed=0' in check.stdout
    # -v: the log of a converge that recreates every container (and so passes every secret to them)
    converge = run(['ansible-playbook', '-v', '-i', inventory, f'{scenario}/converge.yml'],
                   timeout=900)
    assert 'failed=0' in converge.stdout
    # every change is predicted; with MariaDB's container gone, check mode cannot read the accounts and the
    # applied migrations kept in its volume, so it also predicts those (the real run finds them in place)
    assert changed_count(check) >= changed_count(converge) > 0
    log = converge.stdout + converge.stderr
    secrets = [p.read_text().strip() for p in (state_dir() / 'credentials').iterdir() if not p.name.endswith('.htpasswd')]
    for key in (state_dir() / 'pki').rglob('*.key'):
        # the private part: the key's first base64 line (its later lines hold the public key, which
        # certificate info rightly prints) and the private number in hex
        secrets.append(key.read_text().splitlines()[1])
        numbers = serialization.load_pem_private_key(key.read_bytes(), password=None).private_numbers()
        secrets.append('%x' % (getattr(numbers, 'private_value', None) or numbers.d))
    assert len(secrets) >= 6
    leaked = [s[:4] + '...' for s in secrets if s in log]
    assert not leaked, f'secrets in the ansible-playbook -v log: {leaked}'
    for service in ('front', 'registry', 'notary_server', 'notary_signer', 'mariadb'):
        assert inspect_container(service)['State']['Running'], service
    data = inspect_trust(signed['ref'], tmp_path)
    tags = {t['SignedTag']: t for t in data['SignedTags']}
    assert tags['v1']['Digest'] == signed['digest']
