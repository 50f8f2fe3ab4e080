"""Expiry radar and renewal (issue 17), against the real stack with the real notary and docker CLIs.

The expired repository is made the way time would make it (tests/tuf_fixture.py): a repository whose snapshot
key the client holds gets a targets file signed with its own key and an expiry in the past, written into the
server's database as the next version. First the fixture is shown right: the notary CLI and both docker CLIs
refuse it as expired. Then the radar lists it as expired, trust_renew renews it, and DCT pulls work again.
The window is shown on repositories signed today, and a wrong passphrase changes nothing."""
import base64
import datetime
import json
import pathlib
import sys
import uuid

import pytest
import requests
import yaml

from conftest import NOTARY, NOTARY_PORT, REGISTRY, STACK, ca_cert, credential, run, tiny_image
from stacktest import docker_client, wait_until
import tuf_fixture

ROOT = pathlib.Path(__file__).resolve().parents[3]
NOTARY_URL = f'https://localhost:{NOTARY_PORT}'
DOCKER_28 = '/usr/local/bin/docker'
DOCKER_20 = '/usr/bin/docker'
ROOT_PASSPHRASE = 'expiry-root-passphrase'
REPOSITORY_PASSPHRASE = 'expiry-repository-passphrase'
PASSPHRASES = {'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE': ROOT_PASSPHRASE,
               'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE': REPOSITORY_PASSPHRASE}
TARGETS_LIFETIME_DAYS = 3 * 365
WRONG = 'not-the-repository-passphrase'


def utc(notary_time):
    """A time notary wrote (UTC here), to the second."""
    return datetime.datetime.fromisoformat(notary_time[:19]).replace(tzinfo=datetime.timezone.utc)


def admin_auth():
    return ('admin', credential('registry_admin'))


def served(gun, role):
    r = requests.get(f'{NOTARY_URL}/v2/{gun}/_trust/tuf/{role}.json', auth=admin_auth(), verify=ca_cert(), timeout=30)
    r.raise_for_status()
    return r.json()


def notary(trust_dir, *args, env=None, check=True):
    """The notary CLI on trust_dir, as the administrator (NOTARY_AUTH), verified with the stack CA."""
    user, password = admin_auth()
    full = {'NOTARY_AUTH': base64.b64encode(f'{user}:{password}'.encode()).decode()}
    full.update(env or {})
    return run(['notary', '-s', NOTARY_URL, '-d', str(trust_dir), '--tlscacert', ca_cert()] + list(args),
               env=full, check=check)


def module(tmp_path, name, args, check_mode=False, environment=None):
    """Run dct.trust_stack.<name> with args (and environment) in a one-task playbook; return its result."""
    tag = uuid.uuid4().hex[:8]
    out = tmp_path / f'result-{tag}.json'
    (tmp_path / f'args-{tag}.json').write_text(json.dumps({'module_args': args}))
    (tmp_path / f'play-{tag}.yml').write_text(yaml.safe_dump([{
        'hosts': 'localhost', 'gather_facts': False,
        'tasks': [{'block': [{'name': name, f'dct.trust_stack.{name}': '{{ module_args }}', 'register': 'result',
                              'check_mode': check_mode, 'diff': True, 'environment': environment or {}}],
                   'always': [{'ansible.builtin.copy': {'content': '{{ result | to_json }}', 'dest': str(out),
                                                        'mode': '0600'}}]}]}]))
    run(['ansible-playbook', '-i', 'localhost,', '-c', 'local', '-e', f'ansible_python_interpreter={sys.executable}',
         '-e', f'@{tmp_path}/args-{tag}.json', str(tmp_path / f'play-{tag}.yml')], check=False, timeout=600)
    return json.loads(out.read_text())


def radar(tmp_path, config_dir, **variables):
    """playbooks/expiry_report.yml against the stack as the administrator; (process, JSON report)."""
    report_dir = tmp_path / f'report-{uuid.uuid4().hex[:6]}'
    extra = dict(expiry_server=NOTARY_URL, expiry_registry=REGISTRY, expiry_config_dir=str(config_dir),
                 expiry_report_dir=str(report_dir), **variables)
    (report_dir.parent / 'radar.json').write_text(json.dumps(extra))
    proc = run(['ansible-playbook', '-i', 'localhost,', '-c', 'local', '-e', f'ansible_python_interpreter={sys.executable}',
                '-e', f'@{report_dir.parent}/radar.json', str(ROOT / 'playbooks' / 'expiry_report.yml')],
               check=False, timeout=600)
    report = json.loads((report_dir / 'expiry.json').read_text()) if (report_dir / 'expiry.json').exists() else None
    markdown = (report_dir / 'expiry.md').read_text() if (report_dir / 'expiry.md').exists() else ''
    return proc, report, markdown


def trust_pull(tmp_path, client, expired):
    """trust_pull of the expired repository's tag, its root pinned (what a fleet host enforcing trust runs)."""
    pins = {expired['gun']: served(expired['gun'], 'root')['signed']['roles']['root']['keyids']}
    return module(tmp_path, 'trust_pull', dict(image=expired['ref'], pins=pins, server=NOTARY_URL, ca_cert=ca_cert(),
                                               trust_dir=str(tmp_path / f'pull-{uuid.uuid4().hex[:6]}'), disable_tofu=True),
                  environment={'DOCKER_CONFIG': str(client['config'])})


def renew_args(config_dir, repo, **more):
    args = dict(repository=repo, server=NOTARY_URL, config_dir=str(config_dir),
                repository_passphrase=REPOSITORY_PASSPHRASE, root_passphrase=ROOT_PASSPHRASE)
    args.update(more)
    return args


def pull_with_trust(docker, config_dir, ref):
    """A content-trust pull from a client with no cached trust data (the local image removed first)."""
    fresh = config_dir.parent / f'fresh-{uuid.uuid4().hex[:6]}'
    env = docker_client(str(fresh), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin'))
    run([docker, 'image', 'rm', '-f', ref], check=False)
    return run([docker, 'pull', ref], env=dict(env, DOCKER_CONTENT_TRUST='1'), check=False)


@pytest.fixture(scope='module')
def client(tmp_path_factory):
    home = tmp_path_factory.mktemp('expiry')
    config = home / 'docker'
    env = dict(docker_client(str(config), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin')), **PASSPHRASES)
    return {'home': home, 'config': config, 'env': env, 'trust': config / 'trust'}


@pytest.fixture(scope='module')
def expired(client):
    """A repository made with the notary CLI (snapshot key with the client), then its targets expired."""
    env, home = client['env'], client['home']
    gun = f'{REGISTRY}/molecule/old-{uuid.uuid4().hex[:6]}'
    tiny_image(env, f'{gun}:v1', home)
    pushed = run([DOCKER_28, 'push', f'{gun}:v1'], env=env).stdout.strip().splitlines()[-1]
    digest, size = pushed.split('digest: sha256:')[1].split(' size: ')
    keys = {'NOTARY_ROOT_PASSPHRASE': ROOT_PASSPHRASE, 'NOTARY_TARGETS_PASSPHRASE': REPOSITORY_PASSPHRASE,
            'NOTARY_SNAPSHOT_PASSPHRASE': REPOSITORY_PASSPHRASE}
    notary(client['trust'], 'init', gun, env=keys)
    notary(client['trust'], 'addhash', gun, 'v1', size, '--sha256', digest, env=keys)
    notary(client['trust'], 'publish', gun, env=keys)
    current = dict((role, served(gun, role)) for role in ('root', 'targets', 'snapshot', 'timestamp'))
    expired_at = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)
    sql, files = tuf_fixture.expire_targets(gun, current, str(client['trust']),
                                            {'targets': REPOSITORY_PASSPHRASE, 'snapshot': REPOSITORY_PASSPHRASE}, expired_at)
    run(['docker', 'exec', '-i', f'{STACK}_mariadb', 'mariadb', 'notaryserver'], stdin_text=sql)
    return {'gun': gun, 'ref': f'{gun}:v1', 'digest': digest, 'expires': tuf_fixture.go_time(expired_at),
            'targets_version': files['targets'][0]}


@pytest.fixture(scope='module')
def signed_today(client):
    """Two repositories signed today with docker trust (server-managed snapshot, signer alice)."""
    env, home = client['env'], client['home']
    repos = [f'{REGISTRY}/molecule/fresh-{uuid.uuid4().hex[:6]}' for dummy in range(2)]
    run([DOCKER_28, 'trust', 'key', 'generate', 'alice', '--dir', str(home)], env=env)
    for repo in repos:
        tiny_image(env, f'{repo}:v1', home)
        run([DOCKER_28, 'push', f'{repo}:v1'], env=env)
        run([DOCKER_28, 'trust', 'signer', 'add', '--key', str(home / 'alice.pub'), 'alice', repo], env=env)
        run([DOCKER_28, 'trust', 'sign', f'{repo}:v1'], env=env)
    return repos


def wait_signed_a_minute_ago(repo):
    """trust_renew leaves a role re-signed within the last minute alone (a re-sign would not move its expiry);
    signed_today signs at the start of this file's tests: wait until that is a minute ago, if it is not yet."""
    wait_until('the repository signed a minute ago', lambda: utc(served(repo, 'targets')['signed']['expires'])
               < datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=TARGETS_LIFETIME_DAYS, seconds=-65),
               timeout=90)


def trust_inspect_bytes(client, repo):
    fresh = client['home'] / f'inspect-{uuid.uuid4().hex[:6]}'
    env = docker_client(str(fresh), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin'))
    return run([DOCKER_28, 'trust', 'inspect', repo], env=env).stdout


def versions(repo):
    return dict((role, served(repo, role)['signed']['version']) for role in ('targets', 'targets/releases', 'targets/alice'))


def test_the_fixture_is_right_the_notary_and_docker_clis_refuse_the_expired_repository(client, expired, signed_today, tmp_path):
    # (signed_today is made here, first, so that it was signed well before the window test re-signs it)
    listed = notary(tmp_path / 'fresh-notary', 'list', expired['gun'], check=False)
    assert listed.returncode != 0 and 'targets expired at' in listed.stdout + listed.stderr
    for docker in (DOCKER_28, DOCKER_20):
        pulled = pull_with_trust(docker, tmp_path / docker.replace('/', '_'), expired['ref'])
        assert pulled.returncode != 0 and 'targets expired at' in pulled.stdout + pulled.stderr
    fresh = docker_client(str(tmp_path / 'inspect'), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin'))
    inspected = run([DOCKER_28, 'trust', 'inspect', expired['gun']], env=fresh, check=False)
    assert inspected.returncode != 0 and 'Metadata for targets expired' in inspected.stderr
    # and the collection's enforcement refuses it, naming why
    pulled = trust_pull(tmp_path, client, expired)
    assert pulled['failed'] and 'expired trust data: targets expired at' in pulled['msg'], pulled


def test_trust_info_reports_the_expired_repository_as_such_not_as_an_error(client, expired, tmp_path):
    info = module(tmp_path, 'trust_info', dict(images=[expired['ref']], server=NOTARY_URL, config_dir=str(client['config'])))
    assert not info.get('failed'), info
    repo = info['repositories'][expired['gun']]
    assert repo['exists'] and repo['expired'] and 'has expired' in repo['error']
    assert repo['expiry']['expired'] == ['targets'] and repo['expiry']['roles']['targets']['days_left'] < 0
    assert repo['expiry']['roles']['targets']['expires'] == expired['expires']
    assert info['due'][expired['gun']] == ['targets'] and info['tags'][expired['ref']] is None


def test_the_radar_lists_every_repository_with_its_soonest_expiry_and_agrees_with_the_notary_cli(
        client, expired, signed_today, tmp_path):
    proc, report, markdown = radar(tmp_path, client['config'])
    # the expired repository is due: the radar fails by default, naming it, and writes its report first
    assert proc.returncode != 0 and expired['gun'] in proc.stdout + proc.stderr
    rows = dict((row['repository'], row) for row in report['repositories'])
    assert rows[expired['gun']]['expired'] == ['targets'] and rows[expired['gun']]['role'] == 'targets'
    # soonest first: the expired repository before every repository that has not expired
    dates = [row['expires'] for row in report['repositories'] if row['expires']]
    assert dates == sorted(dates) and all(rows[expired['gun']]['expires'] <= row['expires'] for row in report['repositories']
                                          if row['expires'] and not row['expired'])
    assert f"| {expired['gun']} | targets | {expired['expires']} |" in markdown
    # every repository with trust data in the server's database, and no other
    stored = run(['docker', 'exec', f'{STACK}_mariadb', 'mariadb', '--batch', '--skip-column-names', 'notaryserver', '-e',
                  "SELECT DISTINCT gun FROM tuf_files WHERE deleted_at IS NULL AND role = 'root'"]).stdout.split()
    assert sorted(rows) == sorted(stored)
    # each valid repository's expiry, role by role, as the notary CLI verified and cached it
    for gun, roles in report['roles'].items():
        if rows[gun]['expired'] or not rows[gun]['exists']:
            continue  # the notary CLI refuses an expired repository (shown above)
        cache = tmp_path / 'notary-cache'
        notary(cache, 'list', gun)
        metadata = cache / 'tuf' / gun / 'metadata'
        for role, entry in roles['roles'].items():
            signed = json.loads((metadata / f'{role}.json').read_text())['signed']
            assert entry['expires'] == signed['expires'][:19] + 'Z', (gun, role)  # notary writes UTC here
            assert entry['version'] == signed['version'], (gun, role)
        soonest = min((e['expires'], r) for r, e in roles['roles'].items() if r != 'timestamp')
        assert rows[gun]['expires'] == soonest[0]
    # warn instead of fail: the same report, and success
    proc, warned, dummy = radar(tmp_path, client['config'], expiry_fail=False)
    assert proc.returncode == 0 and warned['due'] == report['due']


def test_trust_renew_refuses_a_wrong_passphrase_then_renews_the_expired_repository_and_dct_pulls_work_again(client, expired, tmp_path):
    # a wrong passphrase first: the targets key cannot be decrypted, nothing is uploaded
    result = module(tmp_path, 'trust_renew', renew_args(client['config'], expired['gun'], repository_passphrase=WRONG))
    assert result['failed'] and 'wrong passphrase?' in result['msg'], result['msg']
    assert served(expired['gun'], 'targets')['signed']['version'] == expired['targets_version']
    args = renew_args(client['config'], expired['gun'])
    predicted = module(tmp_path, 'trust_renew', args, check_mode=True)
    assert predicted['changed'] and predicted['method'] == 'resign', predicted
    assert served(expired['gun'], 'targets')['signed']['version'] == expired['targets_version']  # check mode changed nothing
    renewed = module(tmp_path, 'trust_renew', args)
    assert renewed['changed'] and not renewed.get('failed'), renewed
    assert sorted(renewed['renewed']) == sorted(predicted['renewed']) == ['snapshot', 'targets']
    targets = renewed['renewed']['targets']
    assert targets['old_expires'] == expired['expires'] and targets['version'] == expired['targets_version'] + 1
    assert targets['expires'] > datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    again = module(tmp_path, 'trust_renew', args)
    assert not again['changed'] and again['method'] == 'none' and again['renewed'] == {}, again
    for docker in (DOCKER_28, DOCKER_20):
        pulled = pull_with_trust(docker, tmp_path / docker.replace('/', '_'), expired['ref'])
        assert pulled.returncode == 0, pulled.stderr
        assert expired['digest'] in pulled.stdout + pulled.stderr
    listed = notary(tmp_path / 'fresh-notary', 'list', expired['gun'])
    assert expired['digest'] in listed.stdout
    pulled = trust_pull(tmp_path, client, expired)
    assert not pulled.get('failed') and pulled['images'][expired['ref']]['digest'] == 'sha256:' + expired['digest'], pulled


def test_a_wrong_passphrase_fails_clearly_and_changes_nothing(client, signed_today, tmp_path):
    repo = signed_today[0]
    wait_signed_a_minute_ago(repo)
    before = {r: trust_inspect_bytes(client, r) for r in signed_today}
    result = module(tmp_path, 'trust_renew', renew_args(client['config'], repo, within_days=2000, repository_passphrase=WRONG))
    assert result['failed'] and 'wrong or missing passphrase?' in result['msg'] and 'nothing was published' in result['msg']
    assert {r: trust_inspect_bytes(client, r) for r in signed_today} == before


def test_a_window_longer_than_the_targets_lifetime_renews_targets_and_delegations_then_nothing(
        client, signed_today, tmp_path):
    repo = signed_today[1]
    before = versions(repo)
    wait_signed_a_minute_ago(repo)
    # the default window: nothing is due, nothing changes
    left = module(tmp_path, 'trust_renew', renew_args(client['config'], repo))
    assert not left['changed'] and left['renewed'] == {} and versions(repo) == before
    proc, report, dummy = radar(tmp_path, client['config'], expiry_warn_days=TARGETS_LIFETIME_DAYS + 10, expiry_fail=False)
    assert proc.returncode == 0 and sorted(report['due'][repo]) == ['snapshot', 'targets', 'targets/alice', 'targets/releases']
    args = renew_args(client['config'], repo, within_days=TARGETS_LIFETIME_DAYS + 10)
    predicted = module(tmp_path, 'trust_renew', args, check_mode=True)
    assert predicted['changed'] and versions(repo) == before
    renewed = module(tmp_path, 'trust_renew', args)
    assert renewed['changed'] and renewed['method'] == 'publish', renewed
    assert sorted(renewed['renewed']) == sorted(predicted['renewed']) == ['targets', 'targets/alice', 'targets/releases']
    after = versions(repo)
    for role in before:
        assert after[role] == before[role] + 1, role
        assert renewed['renewed'][role]['expires'] > renewed['renewed'][role]['old_expires'], role
    for check_mode in (True, False):
        again = module(tmp_path, 'trust_renew', args, check_mode=check_mode)
        assert not again['changed'] and again['renewed'] == {}, again
        assert 'nothing to gain' in again['deferred']['targets']
    assert versions(repo) == after
    # still signed by alice, as docker trust sign left it
    fresh = docker_client(str(tmp_path / 'inspect'), NOTARY, REGISTRY, ca_cert(), password=credential('registry_admin'))
    inspected = json.loads(run([DOCKER_28, 'trust', 'inspect', repo], env=fresh).stdout)[0]
    assert [t['Signers'] for t in inspected['SignedTags']] == [['alice']]
