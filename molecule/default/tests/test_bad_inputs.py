"""Bad role inputs (issue 7): each one, given to its role on the deployed stack, fails with a message that
names it, and nothing changes: same containers (same start time), same files on the host and the
controller. The module bad inputs are in molecule/signing (bad_inputs.yml, lifecycle.yml); docs/FAULTS.md
lists them all."""
import concurrent.futures
import hashlib
import json
import os
import pathlib

import pytest

from conftest import NOTARY, REGISTRY, SERVICES, STACK, inspect_container, run, state_dir

CASES = [
    # (role, {variable: bad value}, text the failure must contain)
    ('images', {'images_build': ['nginx']},
     'value of images_build must be one or more of: notary, registry, mariadb, front, balancer. Got no match for: nginx'),
    ('images', {'images_prefix': 'Bad Prefix'}, "images_prefix 'Bad Prefix' is not a repository prefix"),
    ('pki', {'pki_key_type': 'DSA'}, 'pki_key_type must be one of: ECC, RSA, got: DSA'),
    ('pki', {'pki_renew_days': 400}, 'pki_leaf_valid_days (365) must exceed pki_renew_days (400)'),
    ('pki', {'pki_registry_names': ['bad name!']}, 'that are not host names: bad name!'),
    ('pki', {'pki_ca_cert': '/nonexistent/ca.crt'}, 'pki_ca_cert and pki_ca_key go together'),
    ('pki', {'pki_ip_addresses': ['127.0.0.1', 'cafe', '10.0.0.0/8']},
     'pki_ip_addresses holds entries that are not IP addresses: cafe, 10.0.0.0/8'),
    ('mariadb', {'mariadb_server_user': 'root'}, 'must not be root'),
    ('mariadb', {'mariadb_signer_database': 'notaryserver'}, 'mariadb_server_database and mariadb_signer_database must differ'),
    ('mariadb', {'mariadb_log_level': 12}, 'mariadb_log_level must be 0-9, not 12'),
    ('notary_signer', {'notary_signer_grpc_port': 70000}, 'notary_signer_grpc_port must be a port 1-65535, not 70000'),
    ('notary_signer', {'notary_signer_default_alias': 'Bad-Alias'}, "notary_signer_default_alias 'Bad-Alias' must match"),
    ('notary_server', {'notary_server_port': 0}, 'notary_server_port must be a port 1-65535, not 0'),
    ('notary_server', {'notary_server_log_level': 'verbose'}, 'notary_server_log_level must be one of'),
    ('notary_server', {'notary_server_hostname': 'Notary_Server'}, "notary_server_hostname 'Notary_Server' is not a host name label"),
    ('registry', {'registry_port': 'abc'}, 'registry_port'),
    ('registry', {'registry_storage_path': 'relative/dir'},
     "registry_storage_path 'relative/dir' must be an absolute directory path without ':'"),
    ('notary_signer', {'notary_signer_publish': 'no port'}, "notary_signer_publish 'no port' is not address:port"),
    ('balancer', {'balancer_listeners': [{'name': 'db', 'port': 80, 'servers': ['10.0.0.1:3306'], 'network': 'db'}]},
     'balancer_listeners[0].port 80 must be a port above 1024 (the balancer does not run as root)'),
    ('balancer', {'balancer_listeners': [{'name': 'db', 'port': 3306, 'servers': ['nowhere'], 'network': 'db'},
                                         {'name': 'db', 'port': 3306, 'servers': ['10.0.0.1:3306'], 'publish': '0.0.0.0:3306'}]},
     'balancer_listeners[0].servers: nowhere is not address:port; balancer_listeners: name db is used twice; '
     'balancer_listeners: port 3306 is used twice'),
    ('front', {'front_users': [{'name': 'bob'}]}, 'front_users: user bob has no password'),
    ('front', {'front_rules': [{'repository': 'team-a/*', 'write': ['alice']}]},
     'front_rules[0] (team-a/*): unknown action write; the actions are pull, push and admin'),
    ('front', {'front_rules': [{'repository': 'team-a/*', 'push': ['alice']}, {'repository': 'team-a/app', 'pull': ['bob']}]},
     'front_rules[1] (team-a/app) overlaps front_rules[0] (team-a/*): a repository name would match both'),
    ('front', {'front_rules': [{'repository': 'localhost:5000/team-a/*', 'push': ['alice']}]},
     'front_rules[0] (localhost:5000/team-a/*): repository must be a repository path'),
    ('front', {'front_rules': [{'repository': 'team-a/*', 'push': ['mallory']}]},
     'front_rules[0] (team-a/*): push names mallory, who is not in front_users'),
    ('front', {'front_password_rounds': 10}, 'front_password_rounds must be 1000-999999999, not 10'),
    ('trust_client', {'trust_client_users': ['Bad User']}, 'not user names: Bad User'),
    ('trust_client', {'trust_client_registry_login': True, 'trust_client_registry_password': ''},
     'trust_client_registry_login needs trust_client_registry_password'),
    ('trust_client', {'trust_client_notary_host': 'bad host!'}, "trust_client_notary_host 'bad host!' is not a host name"),
    ('trust_client', {'trust_client_trust_pins': {'Team/*': ['a' * 64]}},
     "trust_client_trust_pins keys must be lower-case repository names or prefixes ending in '*': Team/*"),
    ('trust_client', {'trust_client_trust_pins': {'registry:5000/team/app': 'a' * 64}},
     'trust_client_trust_pins values must be non-empty lists of root key IDs (64 lower-case hex digits): registry:5000/team/app'),
    ('trust_client', {'trust_client_trust_pins': {'registry:5000/team/*': ['not-a-key-id']}},
     'trust_client_trust_pins values must be non-empty lists of root key IDs (64 lower-case hex digits): registry:5000/team/*'),
    ('key_backup', {'key_backup_passphrase': ''}, 'key_backup_passphrase is empty'),
    ('key_backup', {'key_backup_passphrase': 'x', 'key_backup_archive': '../escape'},
     "key_backup_archive must be a plain file name (letters, digits, . _ -), not '../escape'"),
]


def case_id(case):
    """role-variables-<hash of the bad values>: unique even when two cases set the same variable."""
    digest = hashlib.sha256(json.dumps(case[1], sort_keys=True).encode()).hexdigest()[:6]
    return f'{case[0]}-{"-".join(case[1])}-{digest}'


def fingerprint():
    """What a bad input must not touch: the containers (id, start time) and every file the stack and its
    controller state hold, plus the client paths trust_client would write for root for this stack."""
    containers = {s: (c['Id'], c['State']['StartedAt']) for s in SERVICES for c in [inspect_container(s)]}
    files = {}
    # this stack's paths only: other scenarios may run beside this one
    for top in (pathlib.Path(f'/etc/dct-trust-stack/{STACK}'), state_dir(), pathlib.Path(f'/root/.docker/tls/{NOTARY}'),
                pathlib.Path(f'/etc/docker/certs.d/{REGISTRY}')):
        for path in sorted(top.rglob('*')) if top.exists() else []:
            st = path.lstat()
            files[str(path)] = (st.st_mode, st.st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else '')
    return {'containers': containers, 'files': files}


def try_case(case, tmp_dir):
    role, bad = case[0], case[1]
    extra = tmp_dir / f'{case_id(case)}.json'
    extra.write_text(json.dumps(dict(bad, bad_input_role=role)))
    inventory = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])
    playbook = os.path.join(os.environ['MOLECULE_SCENARIO_DIRECTORY'], 'bad_input.yml')
    return run(['ansible-playbook', '-i', inventory, '-e', f'@{extra}', playbook], check=False, timeout=300)


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    tmp_dir = tmp_path_factory.mktemp('bad-inputs')
    before = fingerprint()
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        procs = dict(zip(map(case_id, CASES), pool.map(lambda c: try_case(c, tmp_dir), CASES)))
    return {'procs': procs, 'before': before, 'after': fingerprint()}


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_a_bad_role_input_fails_with_a_message_naming_it(case, results):
    proc = results['procs'][case_id(case)]
    out = ' '.join((proc.stdout + proc.stderr).split())  # the callback wraps long messages
    assert proc.returncode != 0, f'{case_id(case)} was accepted'
    assert case[2] in out, out[-3000:]


def test_no_bad_input_changed_anything(results):
    assert len(CASES) >= 20
    assert len(results['procs']) == len(CASES), 'two cases share an id'
    before, after = results['before'], results['after']
    assert after['containers'] == before['containers']
    changed = sorted(p for p in set(before['files']) | set(after['files']) if before['files'].get(p) != after['files'].get(p))
    assert changed == [], 'changed, made or removed by a bad input: %s' % changed
