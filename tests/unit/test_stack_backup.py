"""The stack_backup action's pieces the recovery scenario cannot force: a part the stack host did not report,
retention when there are more sets than kept (and in check mode, counting the set about to be made), and that the
passphrase check value opens with the unvault filter restore_controller uses; the host command's way to the
registry's storage when this host cannot read it (the scenario's stack host always can)."""
import os
import subprocess

import pytest

from ansible.plugins.filter.encryption import do_unvault

from ansible_collections.dct.trust_stack.plugins.action.stack_backup import ActionModule
from ansible_collections.dct.trust_stack.plugins.module_utils._stack_backup import host_script, parse_sums


def test_sums_are_read_only_for_the_host_parts():
    out = 'databases.sql.enc %s 120\nnoise\nregistry.tar.enc %s 4096\nother.enc %s 1\n' % ('a' * 64, 'b' * 64, 'c' * 64)
    assert parse_sums(out) == {'databases.sql.enc': ('a' * 64, 120), 'registry.tar.enc': ('b' * 64, 4096)}
    assert parse_sums('databases.sql.enc %s 120\n' % ('a' * 64)).keys() == {'databases.sql.enc'}


def test_the_host_command_quotes_what_it_is_given_and_reads_the_passphrase_from_a_file():
    script = host_script('/tmp/ansible tmp', 'trust', ['notaryserver', 'notarysigner'])
    assert "work='/tmp/ansible tmp'" in script
    assert '-pass file:"$work/passphrase"' in script and 'passphrase' not in script.replace('$work/passphrase', '')
    assert script.index('mariadb-dump') < script.index('tar -C /var/lib/docker-registry')


FAKE_DOCKER = """#!/bin/bash
echo "$*" >> "$FAKE_LOG"
case "$1" in
    inspect) echo "$FAKE_SOURCE" ;;
    exec) if [[ "$*" == *mariadb-dump* ]]; then echo '-- the dump'; else tar -C "$FAKE_STORAGE" -cf - .; fi ;;
esac
"""


@pytest.mark.parametrize('readable', [True, False])
def test_the_registry_storage_is_read_on_the_host_where_it_can_be_and_through_the_container_otherwise(tmp_path, readable):
    bin_dir, work, storage = tmp_path / 'bin', tmp_path / 'work', tmp_path / 'storage'
    for path in (bin_dir, work, storage / 'docker'):
        path.mkdir(parents=True)
    (storage / 'docker' / 'blob').write_text('layer')
    (bin_dir / 'docker').write_text(FAKE_DOCKER)
    (bin_dir / 'docker').chmod(0o755)
    (work / 'passphrase').write_text('secret')
    env = dict(os.environ, PATH='%s:%s' % (bin_dir, os.environ['PATH']), FAKE_LOG=str(tmp_path / 'log'),
               FAKE_STORAGE=str(storage), FAKE_SOURCE=str(storage) if readable else '/nonexistent/volume')
    done = subprocess.run(['bash', '-c', host_script(str(work), 'trust', ['notaryserver'])], env=env,
                          capture_output=True, text=True, check=True)
    assert parse_sums(done.stdout).keys() == {'databases.sql.enc', 'registry.tar.enc'}
    calls = (tmp_path / 'log').read_text()
    assert ('exec trust_registry tar' in calls) is not readable
    listing = subprocess.run(
        'openssl enc -d -aes-256-ctr -pbkdf2 -pass env:PASSPHRASE -in %s/registry.tar.enc | tar -tf -' % work,
        shell=True, env=dict(os.environ, PASSPHRASE='secret'), capture_output=True, text=True, check=True).stdout
    assert './docker/blob' in listing.split()
    assert not (work / 'passphrase').exists()


def test_retention_keeps_the_newest_and_counts_the_set_a_check_run_would_make(tmp_path):
    for stamp in ('20261201T000000000000Z', '20261203T000000000000Z', '20261202T000000000000Z'):
        os.mkdir(tmp_path / ('trust-' + stamp))
    os.mkdir(tmp_path / 'other-20261130T000000000000Z')
    args = {'backup_dir': str(tmp_path), 'stack': 'trust', 'keep': 2}
    assert ActionModule._old_sets(args) == [str(tmp_path / 'trust-20261201T000000000000Z')]
    older = [str(tmp_path / 'trust-20261202T000000000000Z'), str(tmp_path / 'trust-20261201T000000000000Z')]
    assert ActionModule._old_sets(args, extra=1) == older


def test_the_check_value_opens_with_the_unvault_filter_and_only_with_the_passphrase():
    value = ActionModule._check_value('right passphrase')
    assert value.startswith('$ANSIBLE_VAULT;1.2;AES256;dct_stack_backup')
    assert do_unvault(value, 'right passphrase', vault_id='dct_stack_backup') == 'dct-stack-backup'
    try:
        do_unvault(value, 'wrong passphrase', vault_id='dct_stack_backup')
    except Exception as exc:  # pylint: disable=broad-except
        assert 'decrypt' in str(exc).lower()
    else:
        raise AssertionError('a wrong passphrase opened the check value')


@pytest.mark.parametrize('exists', [True, False])
def test_the_mirror_lookaside_is_a_part_of_its_own_and_an_empty_one_when_the_mirror_wrote_none(tmp_path, exists):
    bin_dir, work, storage, lookaside = tmp_path / 'bin', tmp_path / 'work', tmp_path / 'storage', tmp_path / 'sigs'
    for path in (bin_dir, work, storage):
        path.mkdir(parents=True)
    if exists:
        (lookaside / 'team' / 'app@sha256=abc').mkdir(parents=True)
        (lookaside / 'team' / 'app@sha256=abc' / 'signature-1').write_bytes(b'signed')
    (bin_dir / 'docker').write_text(FAKE_DOCKER)
    (bin_dir / 'docker').chmod(0o755)
    (work / 'passphrase').write_text('secret')
    env = dict(os.environ, PATH='%s:%s' % (bin_dir, os.environ['PATH']), FAKE_LOG=str(tmp_path / 'log'),
               FAKE_STORAGE=str(storage), FAKE_SOURCE=str(storage))
    done = subprocess.run(['bash', '-c', host_script(str(work), 'trust', ['notaryserver'], str(lookaside))], env=env,
                          capture_output=True, text=True, check=True)
    assert parse_sums(done.stdout).keys() == {'databases.sql.enc', 'registry.tar.enc', 'signatures.tar.enc'}
    listing = subprocess.run(
        'openssl enc -d -aes-256-ctr -pbkdf2 -pass env:PASSPHRASE -in %s/signatures.tar.enc | tar -tf -' % work,
        shell=True, env=dict(os.environ, PASSPHRASE='secret'), capture_output=True, text=True, check=True).stdout
    assert ('./team/app@sha256=abc/signature-1' in listing.split()) is exists
