"""Lose the stack host, lose nothing (issues 21, 32). Two signers sign tags in two repositories, and the signature
mirror mirrors them; the stack is backed up
while it runs; one more tag is signed (the only thing a restore may lose); then the stack host is lost (containers,
volumes, host files, and the controller's PKI and credentials). Bad sets are refused with nothing changed; the
restore gives the same service back to clients that keep their trust caches; the same set restored under a second
stack name and ports gives the same answers; and the signer's alias passphrase can move without losing a key.
The tests run in file order and share the module-scoped `world`."""
import json
import re
import shutil
import time

import pytest

from conftest import (BACKUPS, CLIENTS, FIRST, NOTARY, REGISTRY, STACKS, answers, build, container_id, destroy,
                      docker_client, fingerprint, inspect, playbook, registry_has, registry_password, ca_cert, run,
                      sign, signatures, signer_aliases)

REPOS = {'alice': f'{REGISTRY}/recovery/app', 'bob': f'{REGISTRY}/recovery/tool'}
SECOND = 'dcttestrec2'


@pytest.fixture(scope='module')
def world():
    """Sign, back up (timed), sign one tag more, remember what the clients see, then lose the stack host."""
    shutil.rmtree(CLIENTS, ignore_errors=True)
    shutil.rmtree(BACKUPS, ignore_errors=True)
    destroy(SECOND)
    configs = {}
    for signer, repo in REPOS.items():
        configs[signer] = CLIENTS / signer
        docker_client(str(configs[signer]), NOTARY, REGISTRY, ca_cert(), password=registry_password())
        for tag in ('v1', 'v2'):
            build(repo, tag)
        sign(signer, repo, ['v1', 'v2'], configs[signer])
    # every repository of the registry's catalog (the two just signed)
    mirrored = playbook(FIRST, 'mirror', signature_mirror_all_repositories=True, signature_mirror_registry=REGISTRY)
    assert 'signature mirror: 2 repositories, 4 signatures added, 0 removed' in mirrored.stdout, mirrored.stdout[-3000:]
    mirror_key = (STACKS[FIRST]['state'] / 'credentials' / 'mirror.key.asc').read_bytes()
    mirrored_signatures = signatures(FIRST)
    # what each signer's client has verified and cached when the backup is taken
    before = {signer: answers(inspect([repo], configs[signer])[repo]) for signer, repo in REPOS.items()}
    for signer in REPOS:  # the clients as they are at the backup, for the second restore target
        shutil.copytree(configs[signer], CLIENTS / f'{signer}-at-backup')
    started = time.monotonic()
    backup = playbook(FIRST, 'backup_stack')
    backup_seconds = time.monotonic() - started
    # a CI job with alice's keys (a copy of her trust directory) signs one more tag after the backup
    configs['ci'] = CLIENTS / 'ci'
    shutil.copytree(configs['alice'], configs['ci'])
    build(REPOS['alice'], 'after-backup')
    sign('alice', REPOS['alice'], ['after-backup'], configs['ci'])
    after = answers(inspect([REPOS['alice']], configs['ci'])[REPOS['alice']])
    destroy(FIRST)
    return {'configs': configs, 'before': before, 'after': after, 'backup': backup, 'backup_seconds': backup_seconds,
            'signatures': mirrored_signatures, 'mirror_key': mirror_key}


def backup_set():
    sets = sorted(p for p in BACKUPS.iterdir() if p.name.startswith(f'{FIRST}-'))
    assert len(sets) == 1, sets
    return sets[0]


def test_the_backup_is_one_private_encrypted_set_with_a_manifest(world):
    found = backup_set()
    assert oct(found.stat().st_mode & 0o777) == '0o700'
    names = sorted(p.name for p in found.iterdir())
    assert names == ['controller.tar.enc', 'databases.sql.enc', 'manifest.json', 'registry.tar.enc', 'signatures.tar.enc']
    for part in found.iterdir():
        assert oct(part.stat().st_mode & 0o777) == '0o600', part
    for part in ('databases.sql.enc', 'registry.tar.enc', 'controller.tar.enc', 'signatures.tar.enc'):
        assert (found / part).read_bytes()[:8] == b'Salted__', f'{part} is not encrypted'
    assert re.search(rf'backup {found.name} of stack {FIRST} taken at ', world['backup'].stdout)


@pytest.mark.parametrize('case', ['missing set', 'corrupted part', 'wrong passphrase', 'set of another stack',
                                  'unknown cipher'])
def test_a_bad_set_fails_clearly_before_anything_changes(world, case, tmp_path):
    found = backup_set()
    target, extra = FIRST, {}
    broken = BACKUPS / f'{FIRST}-99999999T999999Z'  # sorts last: the newest
    if case == 'missing set':
        extra, expect = {'stack_backup_name': f'{FIRST}-19700101T000000Z'}, 'no backup set'
    elif case == 'corrupted part':
        expect = 'registry.tar.enc does not match its SHA-256 in the manifest'
    elif case == 'unknown cipher':  # the manifest's cipher goes into the restore's openssl command
        expect = f'its manifest names cipher aes-256-cbc; touch {tmp_path}/pwned, not one of aes-256-ctr, aes-256-cbc'
    elif case == 'wrong passphrase':
        extra, expect = {'stack_backup_passphrase': 'not-the-passphrase'}, 'stack_backup_passphrase does not open'
    else:
        target, extra = SECOND, {'stack_backup_name': found.name}
        expect = f'it is a backup of stack {FIRST}, not of {SECOND}'
    before = fingerprint(target)
    try:
        if case == 'corrupted part':
            shutil.copytree(found, broken)
            data = bytearray((broken / 'registry.tar.enc').read_bytes())
            data[len(data) // 2] ^= 0xFF
            (broken / 'registry.tar.enc').write_bytes(bytes(data))
        elif case == 'unknown cipher':
            shutil.copytree(found, broken)
            manifest = json.loads((broken / 'manifest.json').read_text())
            manifest['cipher'] = f'aes-256-cbc; touch {tmp_path}/pwned'
            (broken / 'manifest.json').write_text(json.dumps(manifest))
        failed = playbook(target, 'restore_stack', check=False, **extra)
    finally:
        shutil.rmtree(broken, ignore_errors=True)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0 and expect in out and 'Nothing was changed' in out, out[-3000:]
    assert fingerprint(target) == before
    assert not (tmp_path / 'pwned').exists()


def test_the_restore_is_the_same_service_for_clients_with_their_caches(world):
    restored = playbook(FIRST, 'restore_stack')
    created = re.search(r'"created": "([^"]+)"', (backup_set() / 'manifest.json').read_text()).group(1)
    assert f'as they were at {created}' in restored.stdout
    for signer, repo in REPOS.items():
        assert answers(inspect([repo], world['configs'][signer])[repo]) == world['before'][signer], \
            f'{repo}: other tags, digests, root or repository keys than before the backup'
    # the mirror key and its signatures are back, byte for byte, and the mirror finds nothing to do
    assert (STACKS[FIRST]['state'] / 'credentials' / 'mirror.key.asc').read_bytes() == world['mirror_key']
    assert len(world['signatures']) == 5 and signatures(FIRST) == world['signatures']  # 4 and the key's marker
    again = playbook(FIRST, 'mirror', signature_mirror_repositories=list(REPOS.values()))
    assert 'signature mirror: 2 repositories, 0 signatures added, 0 removed' in again.stdout, again.stdout[-3000:]
    # the tag signed after the backup is the only thing lost ...
    assert set(world['after'][0]) - set(world['before']['alice'][0]) == {'after-backup'}
    # ... and a client that had verified it refuses the older restored metadata (TUF's rollback protection)
    # until its cache of that repository is removed; then it verifies what was restored
    ci_env = {'DOCKER_CONFIG': str(world['configs']['ci']), 'DOCKER_CONTENT_TRUST_SERVER': f'https://{NOTARY}'}
    refused = run(['docker', 'trust', 'inspect', REPOS['alice']], env=ci_env, check=False)
    assert refused.returncode != 0, refused.stdout
    shutil.rmtree(world['configs']['ci'] / 'trust' / 'tuf' / REPOS['alice'])
    assert answers(inspect([REPOS['alice']], world['configs']['ci'])[REPOS['alice']]) == world['before']['alice']
    env = {'DOCKER_CONFIG': str(world['configs']['alice']), 'DOCKER_CONTENT_TRUST': '1',
           'DOCKER_CONTENT_TRUST_SERVER': f'https://{NOTARY}'}
    run(['docker', 'image', 'rm', f'{REPOS["alice"]}:v1'])
    v1_digest = world['before']['alice'][0]['v1'][0]
    assert f'Pull (1 of 1): {REPOS["alice"]}:v1@sha256:{v1_digest}' in run(['docker', 'pull', f'{REPOS["alice"]}:v1'], env=env).stdout
    build(REPOS['alice'], 'v3')
    sign('alice', REPOS['alice'], ['v3'], world['configs']['alice'])
    run(['docker', 'image', 'rm', f'{REPOS["alice"]}:v3'])
    assert 'Pull (1 of 1)' in run(['docker', 'pull', f'{REPOS["alice"]}:v3'], env=env).stdout


def test_the_same_set_restored_under_a_second_name_and_ports_gives_the_same_answers(world, tmp_path):
    second = STACKS[SECOND]
    playbook(SECOND, 'restore_stack', stack_backup_from_stack=FIRST, stack_backup_name=backup_set().name)
    notary = f'localhost:{second["notary"]}'
    for signer, repo in REPOS.items():
        # the client's cache as it was at the backup, copied, now asking the second stack's notary server
        config = tmp_path / signer
        shutil.copytree(CLIENTS / f'{signer}-at-backup', config)
        shutil.copytree(config / 'tls' / NOTARY, config / 'tls' / notary)
        tags, admin = answers(inspect([repo], config, notary=notary)[repo])
        assert (tags, admin) == world['before'][signer]
        for digest, dummy in tags.values():
            assert registry_has(f'localhost:{second["registry"]}', repo, digest, SECOND)


def test_a_new_default_alias_keeps_the_old_keys_and_dropping_the_old_alias_is_refused(world):
    playbook(FIRST, 'stack', notary_signer_default_alias='timestamp_2')
    # a repository made before the move still signs (its timestamp key is under timestamp_1) ...
    build(REPOS['bob'], 'v3')
    sign('bob', REPOS['bob'], ['v3'], world['configs']['bob'])
    # ... and a new repository's keys are made under the new alias
    new_repo = f'{REGISTRY}/recovery/new'
    build(new_repo, 'v1')
    sign('bob', new_repo, ['v1'], world['configs']['bob'])
    aliases = signer_aliases(FIRST)
    assert aliases.get('timestamp_1', 0) >= 2 and aliases.get('timestamp_2', 0) >= 1, aliases
    tags, dummy = answers(inspect([REPOS['bob'], new_repo], world['configs']['bob'])[new_repo])
    assert 'v1' in tags
    # without timestamp_1's passphrase the role refuses, naming the alias and its keys, and changes nothing
    kept = STACKS[FIRST]['state'] / 'credentials' / 'notary_signer_timestamp_1'
    moved = kept.with_name('moved-away')
    signer_before = container_id(FIRST, 'notary_signer')
    kept.rename(moved)
    try:
        failed = playbook(FIRST, 'stack', check=False, notary_signer_default_alias='timestamp_2')
    finally:
        moved.rename(kept)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0, out[-2000:]
    assert f'alias timestamp_1 still encrypts {aliases["timestamp_1"]} private key(s)' in out, out[-3000:]
    assert container_id(FIRST, 'notary_signer') == signer_before


def test_a_stack_pointed_at_another_stacks_controller_directory_is_refused_by_name(world):
    """Two stacks, one controller directory: the second is refused before anything changes, naming the stack the
    directory belongs to; the first's CA (which its clients trust) stays as it is (issue 36)."""
    ca = STACKS[FIRST]['state'] / 'pki' / 'ca.crt'
    kept, first, second = ca.read_bytes(), fingerprint(FIRST), fingerprint(SECOND)
    failed = playbook(SECOND, 'stack', check=False, trust_stack_controller_dir=str(STACKS[FIRST]['state']))
    out = ' '.join((failed.stdout + failed.stderr).split())
    assert failed.returncode != 0, out[-2000:]
    assert f'not stack {SECOND}' in out and f'it belongs to stack {FIRST} (' in out and 'Nothing was changed' in out, out[-3000:]
    assert ca.read_bytes() == kept
    assert (fingerprint(FIRST), fingerprint(SECOND)) == (first, second)
