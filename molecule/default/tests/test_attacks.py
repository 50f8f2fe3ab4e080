"""A compromised server gets nothing past enforcement (issue 34): the malicious-server suite.

Fifteen attacks (tests/tuf_attacks.py), each on a repository of its own, made by writing the real stack's database
rows (or its registry storage, or with an administrator's password). Each is run against the trusted_digest lookup and
trust_pull with docker and with podman, each with a warm cache (it verified the real metadata before) and a fresh one
(the root pinned), through Ansible as a user runs them (attacks_verify.yml); `docker trust inspect` 28 and 20.10 are
the comparison. Every cell must be what EXPECTED says: refused with a reason naming the attack class, the signed
content (the attack did not reach the verifier), or, where TUF cannot tell without a cache, the old content; for
each such cell docs/FAULTS.md says so and what the collection does about it. For every attack, the same attack is
shown working where the protection is off. After the attacks, the host's images, containers and the warm caches are
what they were before, and once the rows are put back the warm verifiers accept the real metadata again (no poisoned
cache). The table in docs/FAULTS.md is this file's EXPECTED."""
import base64
import concurrent.futures
import hashlib
import json
import os
import pathlib
import re
import sys
import uuid

import pytest
import requests
import yaml

from conftest import NOTARY, NOTARY_PORT, REGISTRY, STACK, ca_cert, credential, run, tiny_image
from stacktest import docker_client
import tuf_attacks as attacks
from tuf_attacks import ATTACKER, CURRENT, OLD

NOTARY_URL = f'https://localhost:{NOTARY_PORT}'
DOCKER_28 = '/usr/local/bin/docker'
DOCKER_20 = '/usr/bin/docker'
PLAYBOOK = pathlib.Path(__file__).with_name('attacks_verify.yml')
MIRROR_PASSPHRASE = 'attack-suite-mirror-passphrase'

# the class a refusal must name: a regular expression on the verifier's message
ROLLBACK, EXPIRED, ROOT = r'rollback', r'expired trust data', r'root mismatch'
SIGNATURE, THRESHOLD, DIGEST = r'signature or key', r'threshold not met', r'digest mismatch|unsigned content'
REMOVED, WRONG_SIGNER = r'delegation removed', r'wrong signer|unsigned'
# what a verifier may answer besides a refusal: the content it resolved v1 to
SIGNED, UNDETECTED = CURRENT, OLD
# 'signer': the lookup with a fresh cache and signer alice named (it reads targets/alice only)

# attack: {state (or verifier, or verifier_state): expected} for the lookup, trust_pull (docker, podman) and trust_mirror
# alike (see expected()), and what shows the attack working with the protection off ('off').
EXPECTED = {
    'rollback': dict(warm=ROLLBACK, fresh=UNDETECTED, signer=WRONG_SIGNER, off='fresh'),
    'freeze': dict(warm=ROLLBACK, fresh=UNDETECTED, signer=WRONG_SIGNER, off='fresh'),
    'mix_and_match': dict(warm=ROLLBACK, fresh=UNDETECTED, signer=WRONG_SIGNER, off='fresh'),
    'expired': dict(warm=EXPIRED, off='unverified'),
    'root_replaced': dict(warm=ROOT, off='unpinned'),
    'root_forged': dict(warm=ROOT, off='unpinned'),
    'targets_foreign_key': dict(warm=SIGNATURE, off='unverified'),
    'targets_tampered': dict(warm=SIGNATURE, off='unverified'),
    'targets_unsigned': dict(warm=THRESHOLD, off='unverified'),
    'timestamp_foreign_key': dict(warm=SIGNATURE, off='unverified'),
    'delegation_key_swapped': dict(warm=SIGNATURE, signer=SIGNED, off='unverified'),
    'delegation_tampered': dict(warm=SIGNATURE, signer=SIGNED, off='unverified'),
    'delegation_removed': dict(warm=REMOVED, fresh=UNDETECTED, signer=WRONG_SIGNER, off='fresh'),
    # the lookup answers the signed digest (deploying it is what fails); the pulls refuse at the engine, and the mirror
    # when it fetches the manifest to sign (a warm mirror signed it before the attack: nothing to fetch)
    'registry_content': dict(warm=SIGNED, docker=DIGEST, podman=DIGEST, mirror_fresh=DIGEST, off='unverified'),
    # every verifier takes the signed digest, whatever the tag in the registry says; registry_check refuses
    'tag_pushed_over': dict(warm=SIGNED, registry=DIGEST, off='unverified'),
}


def expected(attack, verifier, state):
    """What EXPECTED says of one cell: its '<verifier>_<state>' key, else its verifier's, else its state's; the
    lookup with signer alice named has a fresh cache, the one with registry_check a warm one."""
    row = EXPECTED[attack]
    for key in (f'{verifier}_{state}', verifier, state):
        if key in row:
            return row[key]
    return row.get('fresh', row['warm']) if state == 'signer' else row['warm']


def outcome(result, digests):
    """What a verifier's registered result says: ('refused', message) or ('accepted', OLD/CURRENT/ATTACKER/digest)."""
    if result.get('failed'):
        return 'refused', result.get('msg', '')
    text = json.dumps(result.get('ansible_facts') or result.get('images') or
                      dict((gun, entry.get('signed')) for gun, entry in (result.get('repositories') or {}).items()))
    for which, (hex_digest, dummy) in digests.items():
        if hex_digest in text:
            return 'accepted', which
    return 'accepted', text


def holds(result, want, digests):
    kind, what = outcome(result, digests)
    if want in (CURRENT, OLD, ATTACKER):
        return kind == 'accepted' and what == want
    return kind == 'refused' and re.search(want, what) is not None


# ---------------------------------------------------------------------------------------------- the stack's side

@pytest.fixture(scope='module')
def client(tmp_path_factory):
    """The owner's docker client (logged in as the administrator, its trust directory the notary CLI's too) and a
    podman with its own storage and credentials."""
    home = tmp_path_factory.mktemp('attacks')
    config = home / 'docker'
    env = docker_client(str(config), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin'))
    podman = home / 'podman'
    (podman / 'storage').mkdir(parents=True)
    (podman / 'storage.conf').write_text(f'[storage]\ndriver = "vfs"\ngraphroot = "{podman}/storage"\nrunroot = "{podman}/run"\n')
    podman_env = {'CONTAINERS_STORAGE_CONF': str(podman / 'storage.conf'), 'REGISTRY_AUTH_FILE': str(podman / 'auth.json')}
    run(['podman', 'login', '--username', 'admin', '--password-stdin', REGISTRY], env=podman_env,
        stdin_text=credential('registry_admin'))
    # the mirror's key (what the signature_mirror role makes), in a GnuPG home of its own
    gnupg = home / 'gnupg'
    gnupg.mkdir(mode=0o700)
    run(['gpg', '--homedir', str(gnupg), '--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0',
         '--quick-gen-key', 'dct.trust_stack attack suite mirror', 'rsa2048', 'sign', 'never'], stdin_text=MIRROR_PASSPHRASE)
    listed = run(['gpg', '--homedir', str(gnupg), '--batch', '--with-colons', '--list-secret-keys']).stdout
    fingerprint = next(line.split(':')[9] for line in listed.splitlines() if line.startswith('fpr:'))
    mirror = {'gpg_home': str(gnupg), 'key_fingerprint': fingerprint, 'key_passphrase': MIRROR_PASSPHRASE}
    return {'home': home, 'config': config, 'env': env, 'podman_env': podman_env, 'mirror': mirror}


def notary(client, *args):
    keys = dict((f'NOTARY_{role}_PASSPHRASE', attacks.PASSPHRASE) for role in ('ROOT', 'TARGETS', 'SNAPSHOT', 'DELEGATION'))
    keys['NOTARY_AUTH'] = base64.b64encode(f"admin:{credential('registry_admin')}".encode()).decode()
    return run(['notary', '-s', NOTARY_URL, '-d', str(client['config'] / 'trust'), '--tlscacert', ca_cert()] + list(args), env=keys)


def registry_storage():
    volume = json.loads(run(['docker', 'volume', 'inspect', f'{STACK}_registry_data']).stdout)[0]
    return volume['Mountpoint']


@pytest.fixture(scope='module')
def repositories(client):
    """{attack: Repository}, each made as docker makes one: publish 1 signs v1 = OLD in targets, publish 2 adds the
    signer alice (targets/releases and targets/alice) and signs v1 = CURRENT in both. Each has its own three contents
    (an attack on the registry's storage of one content must not reach another repository's)."""
    env, home = client['env'], client['home']
    run_id = uuid.uuid4().hex[:6]
    run([DOCKER_28, 'trust', 'key', 'generate', 'alice', '--dir', str(home)],
        env=dict(env, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE=attacks.PASSPHRASE))
    database = attacks.Database(f'{STACK}_mariadb')
    storage = registry_storage()

    def push(gun, which, tag):
        run(['docker', 'tag', f'{gun}:{which}', f'{gun}:{tag}'], env=env)
        last = run(['docker', 'push', f'{gun}:{tag}'], env=env).stdout.strip().splitlines()[-1]
        run(['docker', 'image', 'rm', f'{gun}:{tag}'], env=env) if tag == 'v1' else None
        hex_digest, size = last.split('digest: sha256:')[1].split(' size: ')
        return hex_digest, int(size)

    def make(attack):
        gun = f'{REGISTRY}/attack/{attack.replace("_", "-")}-{run_id}'
        for which in (OLD, CURRENT, ATTACKER):
            tiny_image(env, f'{gun}:{which}', home)
        digests = dict((which, push(gun, which, which)) for which in (OLD, CURRENT, ATTACKER))
        push(gun, CURRENT, 'v1')
        notary(client, 'init', gun)
        notary(client, 'addhash', gun, 'v1', str(digests[OLD][1]), '--sha256', digests[OLD][0], '-p')
        for role in ('targets/releases', 'targets/alice'):
            notary(client, 'delegation', 'add', gun, role, str(home / 'alice.pub'), '--all-paths')
            notary(client, 'addhash', gun, 'v1', str(digests[CURRENT][1]), '--sha256', digests[CURRENT][0], '-r', role)
        notary(client, 'publish', gun)
        return attack, attacks.Repository(gun, digests, client['config'] / 'trust', database, storage,
                                          lambda which: push(gun, which, 'v1'))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        return dict(pool.map(make, EXPECTED))


# ---------------------------------------------------------------------------------------------- the verifiers' side

def verify_all(client, repositories, workdir, phase):
    """attacks_verify.yml over every repository, one inventory host each, in parallel: {attack: {verifier: result}}."""
    results = workdir / 'results'
    results.mkdir(exist_ok=True)
    inventory = {'all': {'hosts': dict((attack, {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
                                                 'gun': repo.gun, 'pins': {repo.gun: repo.root_key_ids()}})
                                       for attack, repo in repositories.items())}}
    (workdir / 'inventory.yml').write_text(yaml.safe_dump(inventory))
    extra = dict(phase=phase, server=NOTARY_URL, ca=ca_cert(), cache_base=str(workdir / 'caches'), results_dir=str(results),
                 admin_password=credential('registry_admin'), docker_cli=DOCKER_28, docker_config=str(client['config']),
                 podman_env=client['podman_env'], **client['mirror'])
    for attack in repositories:
        (workdir / 'caches' / f'lookaside-{attack}').mkdir(parents=True, exist_ok=True)
        (workdir / 'caches' / f'fresh-{attack}' / 'lookaside').mkdir(parents=True, exist_ok=True)
    fd = os.open(workdir / f'{phase}.json', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        json.dump(extra, handle)
    proc = run(['ansible-playbook', '-i', str(workdir / 'inventory.yml'), '-f', '8', '-e', f'@{workdir}/{phase}.json', str(PLAYBOOK)],
               check=False, timeout=1800)
    assert 'PLAY RECAP' in proc.stdout, proc.stderr
    return dict((attack, json.loads((results / f'{phase}-{attack}.json').read_text())) for attack in repositories)


def inspect(docker, config_dir, gun):
    """`docker trust inspect` of gun from the client in config_dir: ('refused', message) or ('accepted', the digests it
    lists v1 with, sorted: one per role that signs v1, targets and targets/releases here)."""
    env = docker_client(str(config_dir), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin'))
    proc = run([docker, 'trust', 'inspect', gun], env=env, check=False)
    if proc.returncode != 0:
        return 'refused', (proc.stderr or proc.stdout).strip()[-300:]
    return 'accepted', tuple(sorted(t['Digest'] for t in json.loads(proc.stdout)[0].get('SignedTags') or [] if t['SignedTag'] == 'v1'))


def unverified(repo):
    """What a client that checks no signature takes for v1: it follows the server's timestamp to its snapshot, to the
    targets file (and targets/releases, when targets delegates to it) the snapshot names; and the registry's tag v1
    (its manifest's sha256)."""
    auth = ('admin', credential('registry_admin'))

    def get(role, meta=None):
        name = f'{role}.{base64.b64decode(meta["hashes"]["sha256"]).hex()}' if meta else role
        r = requests.get(f'{NOTARY_URL}/v2/{repo.gun}/_trust/tuf/{name}.json', auth=auth, verify=ca_cert(), timeout=30)
        r.raise_for_status()
        return r.json()['signed']
    snapshot = get('snapshot', get('timestamp')['meta']['snapshot'])['meta']
    targets = get('targets', snapshot['targets'])
    v1 = targets['targets'].get('v1')
    if 'targets/releases' in snapshot and any(d['name'] == 'targets/releases' for d in targets['delegations']['roles']):
        v1 = get('targets/releases', snapshot['targets/releases'])['targets'].get('v1') or v1
    name = repo.gun.partition('/')[2]
    r = requests.get(f'https://{REGISTRY}/v2/{name}/manifests/v1', auth=auth, verify=ca_cert(), timeout=30,
                     headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'})
    return {'metadata': base64.b64decode(v1['hashes']['sha256']).hex() if v1 else None,
            'registry': hashlib.sha256(r.content).hexdigest()}


def which(digests, found):
    """The names (OLD, CURRENT, ATTACKER) of a digest or a tuple of digests; anything else as it is."""
    if isinstance(found, tuple):
        return tuple(sorted(which(digests, one) for one in found))
    return next((name for name, (d, dummy) in digests.items() if d == found), found)


def host_state(client, repositories):
    """The host's images of the attacked repositories and the containers made from them, docker's and podman's (the
    other scenarios running beside this one make and remove containers of their own)."""
    names = set(repo.gun for repo in repositories.values())

    def ours(lines):
        """The lines whose first word is a repository of names, or an image reference into one."""
        def repository(reference):
            name = reference.split('@')[0]
            return name.rpartition(':')[0] if ':' in name.rpartition('/')[2] else name
        return sorted(line for line in lines if repository(line.split(' ')[0]) in names)
    docker_images = run(['docker', 'images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.ID}}']).stdout.splitlines()
    podman_images = run(['podman', 'images', '--format', '{{.Repository}} {{.Tag}} {{.ID}}'], env=client['podman_env']).stdout.splitlines()
    containers = run(['docker', 'ps', '-a', '--format', '{{.Image}} {{.ID}}']).stdout.splitlines() + run(
        ['podman', 'ps', '-a', '--format', '{{.Image}} {{.ID}}'], env=client['podman_env']).stdout.splitlines()
    return {'docker': ours(docker_images), 'podman': ours(podman_images), 'containers': ours(containers)}


def cache_files(workdir, attack, gun):
    """The files of the warm caches of gun (and of the warm mirror's lookaside) with their sha256."""
    found = {}
    for base in [workdir / 'caches' / cache / 'tuf' / gun for cache in ('lookup', 'docker', 'podman', 'mirror')] + \
            [workdir / 'caches' / f'lookaside-{attack}']:
        for path in sorted(base.rglob('*')) if base.exists() else []:
            if path.is_file():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


CELLS = [('lookup', 'warm'), ('lookup', 'fresh'), ('lookup', 'signer'), ('lookup', 'registry'),
         ('docker', 'warm'), ('docker', 'fresh'), ('podman', 'warm'), ('podman', 'fresh'), ('mirror', 'warm'), ('mirror', 'fresh')]


def summarize(digests, attacked, compared, off, attack):
    """One attack's row of build/test-results/attacks.json: what each verifier, docker trust inspect and a client
    that checks nothing answered."""
    row = dict((f'{verifier}_{state}', outcome(attacked[f'{verifier}_{state}'], digests)) for verifier, state in CELLS)
    for docker, version in ((DOCKER_28, '28'), (DOCKER_20, '20.10')):
        for kind in ('warm', 'unpinned'):
            answer = compared[(attack, docker, kind)]
            row[f'docker_trust_inspect_{version}_{kind}'] = (answer[0], which(digests, answer[1]))
    row['unverified'] = dict((key, which(digests, value)) for key, value in off.items())
    return row


# ---------------------------------------------------------------------------------------------- the run

@pytest.fixture(scope='module')
def suite(client, repositories, tmp_path_factory):
    """Baseline (the warm verifiers and docker clients see the real metadata), the attacks, every verifier, the
    comparisons and the protection-off views, then the rows put back and the warm verifiers once more."""
    workdir = tmp_path_factory.mktemp('attack-run')
    baseline = verify_all(client, repositories, workdir, 'baseline')
    warm_docker = dict((docker, workdir / f'warm-{docker.replace("/", "_")}') for docker in (DOCKER_28, DOCKER_20))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        primed = dict(((attack, docker), pool.submit(inspect, docker, warm_docker[docker], repo.gun))
                      for attack, repo in repositories.items() for docker in warm_docker)
        primed = dict((key, future.result()) for key, future in primed.items())
    # a host that has not pulled the content of registry_content yet: trust_pull must pull it (and the engine check it)
    gun = repositories['registry_content'].gun
    run(['docker', 'image', 'rm', f'{gun}:v1'] + [f'{gun}:{which}' for which in (OLD, CURRENT, ATTACKER)], check=False)
    run(['podman', 'image', 'rm', f'{gun}:v1'], env=client['podman_env'], check=False)
    state = host_state(client, repositories)
    caches = dict((attack, cache_files(workdir, attack, repo.gun)) for attack, repo in repositories.items())
    try:
        for attack, repo in repositories.items():
            getattr(attacks, attack)(repo)
        attacked = verify_all(client, repositories, workdir, 'attack')
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            compared = dict(((attack, docker, kind), pool.submit(
                inspect, docker, warm_docker[docker] if kind == 'warm' else workdir / f'unpinned-{attack}-{docker.replace("/", "_")}',
                repo.gun)) for attack, repo in repositories.items() for docker in warm_docker for kind in ('warm', 'unpinned'))
            compared = dict((key, future.result()) for key, future in compared.items())
        off = dict((attack, unverified(repo)) for attack, repo in repositories.items())
        state_after, caches_after = host_state(client, repositories), dict(
            (attack, cache_files(workdir, attack, repo.gun)) for attack, repo in repositories.items())
    finally:
        # the repositories as setup left them, whatever failed (the other tests of the scenario read every repository)
        for repo in repositories.values():
            repo.put_back()
    after = verify_all(client, repositories, workdir, 'after')
    summary = dict((attack, summarize(repo.digests, attacked[attack], compared, off[attack], attack))
                   for attack, repo in repositories.items())
    report = pathlib.Path(os.environ.get('MOLECULE_PROJECT_DIRECTORY', '.')) / 'build' / 'test-results' / 'attacks.json'
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(summary, indent=1, sort_keys=True))
    print(json.dumps(summary, indent=1, sort_keys=True))
    return dict(baseline=baseline, primed=primed, attacked=attacked, compared=compared, off=off, after=after,
                state=(state, state_after), caches=(caches, caches_after), summary=summary)


def test_before_the_attacks_every_verifier_takes_the_signed_content(suite, repositories):
    for attack, repo in repositories.items():
        for verifier in ('lookup_warm', 'docker_warm', 'podman_warm'):
            assert holds(suite['baseline'][attack][verifier], CURRENT, repo.digests), (attack, verifier, suite['baseline'][attack][verifier])
        for docker in (DOCKER_28, DOCKER_20):
            # docker lists v1 once per role that signs it: OLD in targets, CURRENT in targets/releases
            assert suite['primed'][(attack, docker)] == ('accepted', tuple(sorted([repo.digests[CURRENT][0], repo.digests[OLD][0]]))), \
                (attack, docker)


@pytest.mark.parametrize('attack', sorted(EXPECTED))
def test_every_verifier_in_both_cache_states_answers_as_expected(suite, repositories, attack):
    digests, results = repositories[attack].digests, suite['attacked'][attack]
    wrong = [(verifier, state, expected(attack, verifier, state), outcome(results[f'{verifier}_{state}'], digests))
             for verifier, state in CELLS if not holds(results[f'{verifier}_{state}'], expected(attack, verifier, state), digests)]
    assert not wrong, wrong
    # the attacker's content is never what a verifier takes
    assert not any(outcome(results[f'{v}_{s}'], digests) == ('accepted', ATTACKER) for v, s in CELLS)


@pytest.mark.parametrize('attack', sorted(EXPECTED))
def test_the_same_attack_works_where_the_protection_is_off(suite, repositories, attack):
    digests, view = repositories[attack].digests, EXPECTED[attack]['off']
    if view == 'fresh':
        # a client without a cache takes the old content (the fresh cells above), and so does docker's
        assert holds(suite['attacked'][attack]['lookup_fresh'], OLD, digests)
        assert suite['compared'][(attack, DOCKER_28, 'unpinned')] == ('accepted', (digests[OLD][0],))
    elif view == 'unpinned':
        # an unpinned fresh docker CLI trusts the attacker's root on first use and takes the attacker's content
        for docker in (DOCKER_28, DOCKER_20):
            assert suite['compared'][(attack, docker, 'unpinned')] == ('accepted', (digests[ATTACKER][0],)), docker
    else:
        # a client that checks no signature takes what the server or the registry now says, not the signed content
        served = suite['off'][attack]
        assert served['metadata'] != digests[CURRENT][0] or served['registry'] != digests[CURRENT][0], served


@pytest.mark.parametrize('attack', sorted(EXPECTED))
def test_a_refused_attack_leaves_the_host_and_the_warm_caches_as_they_were(suite, repositories, attack):
    (before, after), (caches, caches_after) = suite['state'], suite['caches']
    assert after['containers'] == before['containers']
    gun = repositories[attack].gun
    if EXPECTED[attack].get('fresh') != UNDETECTED:
        # nothing pulled, nothing re-tagged (a fresh client that took the old content re-tagged v1: not this one)
        for engine in ('docker', 'podman'):
            assert [line for line in after[engine] if line.startswith(gun + ' ')] == \
                   [line for line in before[engine] if line.startswith(gun + ' ')], engine
    # no verification that refused changed a warm cache (a refusal puts the cache back)
    assert caches_after[attack] == caches[attack]


def test_with_the_rows_put_back_the_warm_verifiers_take_the_signed_content_again(suite, repositories):
    for attack, repo in repositories.items():
        for verifier in ('lookup_warm', 'docker_warm', 'podman_warm'):
            assert holds(suite['after'][attack][verifier], CURRENT, repo.digests), (attack, verifier, suite['after'][attack][verifier])
