"""_parsers.inspect_data: the trust data notary verified and cached, read as `docker trust inspect` shows it
(docker/cli's matchReleasedSignatures and getDelegationRoleToKeyMap), and only the files the verified snapshot names."""
import base64
import hashlib
import json

from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import inspect_data

GUN = 'localhost:5000/team/app'
A, B = 'a' * 64, 'b' * 64


def target(hex_digest):
    return {'hashes': {'sha256': base64.b64encode(bytes.fromhex(hex_digest)).decode()}, 'length': 528}


def cache(roles, stale=(), signed_by=('t1', 'k1', 'k2')):
    """{role: (sha256 hex, JSON)} as _parsers.cached_metadata gives it, the snapshot naming each role's file (a role in
    stale is cached with other content than the snapshot names), each file with signatures by signed_by."""
    raw = dict((role, json.dumps({'signed': signed, 'signatures': [{'keyid': k} for k in signed_by]}).encode())
               for role, signed in roles.items())
    meta = dict((role, {'hashes': {'sha256': base64.b64encode(hashlib.sha256(b'other' if role in stale else data).digest()).decode()},
                        'version': 1}) for role, data in raw.items() if role != 'root')
    snapshot = json.dumps({'signed': {'meta': meta}}).encode()
    timestamp = json.dumps({'signed': {'meta': {'snapshot': {'hashes': {
        'sha256': base64.b64encode(hashlib.sha256(snapshot).digest()).decode()}}}}}).encode()
    raw.update(snapshot=snapshot, timestamp=timestamp)
    return dict((role, (hashlib.sha256(data).hexdigest(), json.loads(data))) for role, data in raw.items())


ROOT = {'roles': {'root': {'keyids': ['r1']}, 'targets': {'keyids': ['t1']}}}


def delegations(*roles):
    return {'keys': {}, 'roles': [{'name': name, 'keyids': keys, 'paths': paths, 'threshold': 1}
                                  for name, keys, paths in roles]}


def test_a_repository_signed_by_two_signers_reads_as_docker_shows_it():
    data = inspect_data(GUN, cache({
        'root': ROOT,
        'targets': {'targets': {}, 'delegations': delegations(('targets/releases', ['k1', 'k2'], ['']),
                                                              ('targets/alice', ['k1'], ['']),
                                                              ('targets/bob', ['k2'], ['']))},
        'targets/releases': {'targets': {'v1': target(A), 'v2': target(B)}},
        'targets/alice': {'targets': {'v1': target(A), 'v2': target(B)}},
        'targets/bob': {'targets': {'v1': target(A), 'v2': target(A)}},  # bob signed v2 for another digest
    }))
    assert data['SignedTags'] == [{'SignedTag': 'v1', 'Digest': A, 'Signers': ['alice', 'bob']},
                                  {'SignedTag': 'v2', 'Digest': B, 'Signers': ['alice']}]
    assert data['Signers'] == [{'Name': 'bob', 'Keys': [{'ID': 'k2'}]}, {'Name': 'alice', 'Keys': [{'ID': 'k1'}]}]
    assert data['AdministrativeKeys'] == [{'Name': 'Root', 'Keys': [{'ID': 'r1'}]},
                                          {'Name': 'Repository', 'Keys': [{'ID': 't1'}]}]


def test_a_tag_only_targets_signed_is_repo_admin_s_and_a_tag_only_a_signer_signed_is_not_released():
    data = inspect_data(GUN, cache({
        'root': ROOT,
        'targets': {'targets': {'v1': target(A)}, 'delegations': delegations(('targets/alice', ['k1'], ['']))},
        'targets/alice': {'targets': {'v9': target(B)}},
    }))
    assert data['SignedTags'] == [{'SignedTag': 'v1', 'Digest': A, 'Signers': ['Repo Admin']}]


def test_a_cached_role_the_verified_snapshot_does_not_name_is_left_out():
    roles = {
        'root': ROOT,
        'targets': {'targets': {}, 'delegations': delegations(('targets/releases', ['k1'], ['']),
                                                              ('targets/alice', ['k1'], ['']))},
        'targets/releases': {'targets': {'v1': target(A)}},
        'targets/alice': {'targets': {'v1': target(A)}},
    }
    assert inspect_data(GUN, cache(roles))['SignedTags'][0]['Signers'] == ['alice']
    # an older targets/alice.json left in the cache (notary skipped the server's, say its signature was bad)
    assert inspect_data(GUN, cache(roles, stale=['targets/alice']))['SignedTags'][0]['Signers'] == ['Repo Admin']
    # a snapshot the timestamp does not name: nothing is trusted
    stale_snapshot = cache(roles)
    stale_snapshot['snapshot'] = ('0' * 64, stale_snapshot['snapshot'][1])
    assert inspect_data(GUN, stale_snapshot) is None


def test_a_signer_s_targets_outside_its_paths_do_not_count_and_no_cache_is_no_trust_data():
    data = inspect_data(GUN, cache({
        'root': ROOT,
        'targets': {'targets': {}, 'delegations': delegations(('targets/releases', ['k1'], ['']),
                                                              ('targets/alice', ['k1'], ['prod-']))},
        'targets/releases': {'targets': {'v1': target(A), 'prod-1': target(B)}},
        'targets/alice': {'targets': {'v1': target(A), 'prod-1': target(B)}},
    }))
    assert dict((t['SignedTag'], t['Signers']) for t in data['SignedTags']) == {'v1': ['Repo Admin'], 'prod-1': ['alice']}
    assert inspect_data(GUN, {}) is None


def test_a_role_whose_keys_were_removed_or_that_expired_is_not_signed_any_more():
    """A signer removed (its keys taken out of releases) leaves releases.json as it was, named by the snapshot: notary
    no longer accepts it, so neither does this."""
    import datetime
    roles = {
        'root': ROOT,
        'targets': {'targets': {}, 'delegations': delegations(('targets/releases', [], ['']))},
        'targets/releases': {'targets': {'v1': target(A)}},
    }
    assert inspect_data(GUN, cache(roles))['SignedTags'] == []
    roles['targets']['delegations'] = delegations(('targets/releases', ['k9'], ['']))
    assert inspect_data(GUN, cache(roles))['SignedTags'] == []   # signed by k1, k2: not the role's key now
    roles['targets']['delegations'] = delegations(('targets/releases', ['k1'], ['']))
    assert inspect_data(GUN, cache(roles))['SignedTags'][0]['SignedTag'] == 'v1'
    roles['targets/releases']['expires'] = '2026-01-01T00:00:00Z'
    now = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
    assert inspect_data(GUN, cache(roles), now)['SignedTags'] == []
    # targets itself signed by a key root no longer lists: nothing is signed
    assert inspect_data(GUN, cache(roles, signed_by=('k1',)))['SignedTags'] == []
