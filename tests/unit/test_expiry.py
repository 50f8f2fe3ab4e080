"""Expiry (issue 17): the report's arithmetic and the renewal plan, on edge cases the stack cannot reach in a
test run (a root within six months of expiry, month-end arithmetic, nested delegations, missing keys). The
real expired repository, the radar and trust_renew run against the stack in molecule/default/tests/test_expiry.py."""
import datetime
import json

import pytest

from ansible_collections.dct.trust_stack.plugins.module_utils import _expiry, _tuf_sign
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.modules import trust_renew

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 12, 3, 12, 0, 0, tzinfo=UTC)


def at(days):
    return _expiry.format_time(NOW + datetime.timedelta(days=days))


def test_notarys_times_parse_with_nanoseconds_and_offsets():
    assert _expiry.parse_time('2026-12-17T16:51:01.065382189Z') == datetime.datetime(2026, 12, 17, 16, 51, 1, 65382, tzinfo=UTC)
    assert _expiry.parse_time('2026-12-17T18:51:01+02:00') == datetime.datetime(2026, 12, 17, 16, 51, 1, tzinfo=UTC)
    with pytest.raises(TrustError, match='not an RFC 3339 time'):
        _expiry.parse_time('next tuesday')


def roles(**expires):
    """{role: signed} with each role expiring that many days from NOW."""
    return dict((name.replace('__', '/'), {'expires': at(days), 'version': 2}) for name, days in expires.items())


def test_the_timestamp_is_reported_but_never_due_and_never_the_soonest():
    report = _expiry.expiry_report(roles(root=3650, targets=1000, snapshot=1001, timestamp=1), 90, NOW)
    assert report['roles']['timestamp']['renewed_by'] == 'server' and not report['roles']['timestamp']['due']
    assert report['due'] == [] and report['expired'] == []
    assert report['soonest'] == {'role': 'targets', 'expires': at(1000), 'days_left': 1000}


def test_inside_the_window_is_due_and_past_expiry_is_expired_and_due():
    report = _expiry.expiry_report(roles(root=3650, targets=-2, snapshot=30, timestamp=5, targets__releases=89.9), 90, NOW)
    assert report['expired'] == ['targets']
    assert report['due'] == ['snapshot', 'targets', 'targets/releases']
    assert report['roles']['targets']['days_left'] == -2 and report['soonest']['role'] == 'targets'
    # the window's edge: a role expiring in exactly window_days is not inside it
    assert _expiry.expiry_report(roles(root=90), 90, NOW)['due'] == []


def test_delegations_are_read_down_the_tree_and_unsigned_ones_skipped():
    served = {
        'root': {'expires': at(3650)}, 'snapshot': {'expires': at(1000)}, 'timestamp': {'expires': at(14)},
        'targets': {'expires': at(1000), 'delegations': {'roles': [{'name': 'targets/releases'}, {'name': 'targets/team'},
                                                                   {'name': 'targets/empty'}]}},
        'targets/releases': {'expires': at(1000)},
        'targets/team': {'expires': at(1000), 'delegations': {'roles': [{'name': 'targets/team/alice'}]}},
        'targets/team/alice': {'expires': at(10)},
    }
    asked = []

    def metadata(gun, role):
        asked.append(role)
        return served.get(role)
    found = _expiry.read_roles(metadata, 'localhost:5000/team/app')
    assert sorted(found) == ['root', 'snapshot', 'targets', 'targets/releases', 'targets/team', 'targets/team/alice', 'timestamp']
    assert 'targets/empty' in asked
    assert _expiry.read_roles(lambda gun, role: None, 'x') is None


@pytest.mark.parametrize('now,expected', [
    (datetime.datetime(2026, 12, 3, tzinfo=UTC), datetime.datetime(2027, 6, 3, tzinfo=UTC)),
    # Go's AddDate normalises the 31st of a 30-day month into the next month
    (datetime.datetime(2026, 8, 31, tzinfo=UTC), datetime.datetime(2027, 3, 3, tzinfo=UTC)),
    (datetime.datetime(2027, 12, 31, tzinfo=UTC), datetime.datetime(2028, 7, 1, tzinfo=UTC)),
])
def test_six_months_on_counts_as_go_does(now, expected):
    assert trust_renew.six_months_on(now) == expected


KEY = {'keytype': 'ecdsa', 'keyval': {'public': 'AA==', 'private': None}}


def repo(root=3650, targets=1000, snapshot=1000, releases=None):
    signed = {
        'root': {'expires': at(root), 'version': 1, 'keys': {'r1': KEY, 't1': KEY, 's1': KEY},
                 'roles': {'root': {'keyids': ['r1']}, 'targets': {'keyids': ['t1']}, 'snapshot': {'keyids': ['s1']},
                           'timestamp': {'keyids': ['ts']}}},
        'targets': {'expires': at(targets), 'version': 3,
                    'delegations': {'keys': {'d1': KEY}, 'roles': [{'name': 'targets/releases', 'keyids': ['d1']}]}},
        'snapshot': {'expires': at(snapshot), 'version': 3},
        'timestamp': {'expires': at(14), 'version': 9},
    }
    if releases is not None:
        signed['targets/releases'] = {'expires': at(releases), 'version': 1}
    return signed


def plan(signed, held, window=90, only=None):
    """trust_renew's plan for signed, with the private keys of held (key IDs) in the trust directory."""
    trust_renew.local_key_ids = lambda keys, key_ids, trust_dir: dict((k, k) for k in key_ids if k in held)
    report = _expiry.expiry_report(signed, window, NOW)
    return trust_renew.plan({'roles': only}, signed, report, '/trust', NOW)


@pytest.fixture(autouse=True)
def _keep_local_key_ids():
    original = trust_renew.local_key_ids
    yield
    trust_renew.local_key_ids = original


def test_nothing_due_plans_nothing():
    witness, resign, deferred, need, missing, signing = plan(repo(releases=1000), {'t1', 'd1'})
    assert (witness, resign, deferred, missing, signing) == ([], [], {}, [], set())


def test_due_targets_and_delegations_are_witnessed_and_a_held_snapshot_is_signed_by_the_publish():
    witness, resign, deferred, need, missing, signing = plan(repo(targets=30, releases=30), {'t1', 'd1', 's1'})
    assert witness == ['targets', 'targets/releases'] and resign == []
    assert signing == {'targets', 'targets/releases', 'snapshot'} and need == {'targets', 'signer', 'snapshot'}


def test_an_expired_targets_is_resigned_with_our_snapshot_and_the_expired_delegation_witnessed():
    witness, resign, deferred, need, missing, signing = plan(repo(targets=-1, releases=-1), {'t1', 'd1', 's1'})
    assert resign == ['targets', 'snapshot'] and witness == ['targets/releases']


def test_an_expired_targets_with_a_server_snapshot_is_resigned_alone():
    witness, resign, deferred, need, missing, signing = plan(repo(targets=-1), {'t1'})
    assert resign == ['targets'] and witness == [] and missing == []


def test_a_due_snapshot_alone_is_renewed_by_publishing_targets():
    witness, resign, deferred, need, missing, signing = plan(repo(snapshot=10), {'t1'})
    assert witness == ['targets'] and resign == []


def test_root_is_deferred_until_six_months_before_its_expiry():
    witness, resign, deferred, need, missing, signing = plan(repo(root=300), {'t1', 'r1'}, window=400)
    assert 'root' in deferred and 'six months' in deferred['root'] and witness == []
    witness, resign, deferred, need, missing, signing = plan(repo(root=100), {'t1', 'r1'}, window=400)
    assert deferred == {} and witness == ['targets'] and 'root' in signing and 'root' in need


def test_an_expired_root_cannot_be_renewed():
    with pytest.raises(TrustError, match='expired root'):
        plan(repo(root=-1), {'t1', 'r1'})


def test_a_due_role_whose_key_is_not_held_is_named_and_roles_limits_what_is_renewed():
    witness, resign, deferred, need, missing, signing = plan(repo(targets=30, releases=30), {'t1'})
    assert missing == ['targets/releases']
    with pytest.raises(TrustError, match='needs the private key of targets/releases'):
        trust_renew.check_passphrases({}, need, missing, '/trust', 'gun')
    witness, resign, deferred, need, missing, signing = plan(repo(targets=30, releases=30), {'t1'}, only=['targets'])
    assert witness == ['targets'] and missing == []


def test_missing_passphrases_are_named():
    p = dict(root_passphrase=None, repository_passphrase='x', snapshot_passphrase='x', signer_passphrase=None)
    with pytest.raises(TrustError, match='needs root_passphrase, signer_passphrase; nothing was changed'):
        trust_renew.check_passphrases(p, {'root', 'targets', 'signer'}, [], '/trust', 'gun')


@pytest.mark.parametrize('roles_option,message', [
    (['timestamp'], 'the notary server re-signs the timestamp itself'),
    (['releases'], '"releases" is not a role'),
])
def test_bad_roles_are_named(roles_option, message):
    with pytest.raises(TrustError, match=message):
        trust_renew.check_input({'within_days': 90, 'roles': roles_option})


def test_a_resigned_file_is_in_notarys_field_order_and_its_signed_part_canonical():
    data = _tuf_sign.signed_file({'version': 2, '_type': 'Targets', 'expires': at(1)},
                                 [{'keyid': 'ab', 'method': 'ecdsa', 'sig': 'c2ln+/='}])
    assert data.startswith(b'{"signed":{"_type":"Targets","expires":')
    assert data.endswith(b',"signatures":[{"keyid":"ab","method":"ecdsa","sig":"c2ln+/="}]}')
    assert json.loads(data)['signed']['version'] == 2


def test_a_snapshot_entry_gets_the_new_files_length_and_every_hash_it_had():
    meta = _tuf_sign.file_meta({'length': 1, 'hashes': {'sha256': 'x', 'sha512': 'y'}}, b'{}')
    assert meta['length'] == 2 and sorted(meta['hashes']) == ['sha256', 'sha512']
    assert meta['hashes']['sha256'] == 'RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o='


def test_the_upload_is_one_form_file_per_role():
    content_type, body = _tuf_sign.multipart({'targets': b'T', 'snapshot': b'S'})
    boundary = content_type.split('boundary=')[1].encode()
    assert body.count(b'--' + boundary) == 3 and body.endswith(b'--' + boundary + b'--\r\n')
    assert b'name="files"; filename="snapshot.json"' in body and b'filename="targets.json"' in body


def test_an_expired_repository_is_named_as_such_by_inspect():
    from ansible_collections.dct.trust_stack.plugins.module_utils import _clients
    notary = _clients.NotaryCLI.__new__(_clients.NotaryCLI)
    notary.trust_dir, notary.params, notary.repository = '/nonexistent', {'server': 'https://notary:4443'}, None
    out = '\n* fatal: targets expired at Tue Dec  1 16:51:39 UTC 2026\n'  # what `notary list` prints (tuf/signed/errors.go)
    notary.run = lambda args, environ=None: (1, out, '')
    notary.check_server = lambda: None
    notary.for_repository = lambda repository: notary
    with pytest.raises(TrustError) as caught:
        notary.inspect('localhost:5000/exp/old')
    assert caught.value.result == {'expired': True}
    assert str(caught.value) == ('the trust data of localhost:5000/exp/old has expired, the notary CLI refuses it: '
                                 'targets expired at Tue Dec  1 16:51:39 UTC 2026 (renew it with '
                                 'dct.trust_stack.trust_renew)')


def test_a_window_longer_than_the_lifetime_leaves_a_role_re_signed_today_alone():
    just = 1095 - 30 / 86400  # re-signed 30 s ago
    witness, resign, deferred, need, missing, signing = plan(repo(targets=1095, snapshot=just, releases=just), {'t1', 'd1'},
                                                             window=2000)
    assert witness == [] and sorted(deferred) == ['snapshot', 'targets', 'targets/releases']
    assert 'nothing to gain' in deferred['targets']
    two_minutes_ago = 1095 - 120 / 86400
    witness, resign, deferred, need, missing, signing = plan(repo(targets=two_minutes_ago, snapshot=1095, releases=1095),
                                                             {'t1', 'd1'}, window=2000)
    assert witness == ['targets']


def test_an_expired_tls_certificate_is_not_expired_trust_data():
    from ansible_collections.dct.trust_stack.plugins.module_utils import _diagnosis
    assert not _diagnosis.METADATA_EXPIRED_RE.search('x509: certificate has expired or is not yet valid')
    assert _diagnosis.METADATA_EXPIRED_RE.search('Error: remote repository r out-of-date: targets expired at Tue Dec 1')
