"""module_utils/_tuf_cache.py: the verifier's cache of a repository around a `notary list`. The default scenario's
malicious-server suite (molecule/default/tests/test_attacks.py) shows each check against the real notary CLI and a
real server; this file pins the edges it does not reach: a legitimate update, a delegation whose keys changed, one
that never had metadata."""
import base64
import hashlib
import json

import pytest

from ansible_collections.dct.trust_stack.plugins.module_utils import _common, _tuf_cache

GUN = 'localhost:5000/team/app'


def repository(targets=3, releases=1, snapshot=3, timestamp=2, delegated=('targets/releases',), listed=None,
               releases_keys=('k1',)):
    """{role: bytes} of a consistent set: the timestamp names the snapshot, the snapshot names targets and the
    delegations in listed (default: delegated), by sha256."""
    def meta(data):
        return {'length': len(data), 'hashes': {'sha256': base64.b64encode(hashlib.sha256(data).digest()).decode()}}
    files = {'root': json.dumps({'signed': {'version': 1}}).encode()}
    files['targets'] = json.dumps({'signed': {'version': targets, 'delegations': {'roles': [
        {'name': name, 'keyids': list(releases_keys)} for name in delegated]}}}).encode()
    for name in delegated:
        files[name] = json.dumps({'signed': {'version': releases, 'targets': {}}}).encode()
    names = delegated if listed is None else listed
    files['snapshot'] = json.dumps({'signed': {'version': snapshot, 'meta': dict(
        [('targets', meta(files['targets']))] + [(name, meta(files[name])) for name in names])}}).encode()
    files['timestamp'] = json.dumps({'signed': {'version': timestamp, 'meta': {'snapshot': meta(files['snapshot'])}}}).encode()
    return files


def write(cache, files):
    base = cache / 'tuf' / GUN / 'metadata'
    for role, data in files.items():
        path = base / (role + '.json')
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def guarded(tmp_path, before, after):
    """A CacheGuard made over before, with the cache then holding after (as a notary list would leave it)."""
    write(tmp_path, before)
    guard = _tuf_cache.CacheGuard(str(tmp_path), GUN)
    write(tmp_path, after)
    return guard


def test_a_legitimate_update_passes(tmp_path):
    guarded(tmp_path, repository(), repository(targets=4, releases=2, snapshot=4, timestamp=3)).check()


def test_an_older_targets_under_a_newer_snapshot_is_a_rollback_and_restore_puts_the_cache_back(tmp_path):
    before = repository()
    guard = guarded(tmp_path, before, repository(targets=2, snapshot=4, timestamp=3))
    with pytest.raises(_common.TrustError, match=r'rollback: the server\'s targets is version 2, older than version 3'):
        guard.check()
    guard.restore()
    base = tmp_path / 'tuf' / GUN / 'metadata'
    assert dict((p.stem, p.read_bytes()) for p in base.rglob('*.json')) == \
        dict((role.rpartition('/')[2], data) for role, data in before.items())


def test_an_older_delegation_is_a_rollback_unless_its_keys_changed(tmp_path):
    with pytest.raises(_common.TrustError, match='targets/releases is version 1, older than version 2'):
        guarded(tmp_path / 'a', repository(releases=2), repository(releases=1, snapshot=4, timestamp=3)).check()
    # the owner removed the delegation and made a new one with other keys: its versions start again
    guarded(tmp_path / 'b', repository(releases=2), repository(releases=1, snapshot=4, timestamp=3, releases_keys=('k2',))).check()


def test_a_delegation_the_snapshot_drops_while_targets_still_delegates_to_it_is_refused(tmp_path):
    with pytest.raises(_common.TrustError, match='delegation removed: targets still delegates to targets/releases'):
        guarded(tmp_path, repository(), repository(snapshot=4, timestamp=3, listed=())).check()


def test_a_delegation_that_never_had_metadata_or_was_removed_by_its_owner_passes(tmp_path):
    # never listed before (a signer added that has not signed yet)
    guarded(tmp_path / 'a', repository(listed=()), repository(snapshot=4, timestamp=3, listed=())).check()
    # removed by the owner: targets no longer delegates to it
    guarded(tmp_path / 'b', repository(), repository(targets=4, snapshot=4, timestamp=3, delegated=())).check()


def test_a_first_verification_has_nothing_to_compare_and_restore_leaves_no_cache(tmp_path):
    guard = guarded(tmp_path, {}, repository())
    guard.check()
    guard.restore()
    assert not (tmp_path / 'tuf' / GUN / 'metadata').exists()
