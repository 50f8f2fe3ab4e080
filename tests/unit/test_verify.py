"""module_utils/_verify.py: pin matching and checks, reading a notary client config, and how each notary CLI outcome
becomes a refusal. The signing and fleet scenarios run the real notary CLI for unsigned, wrong signer, root mismatch
(cached and fresh), not pinned and re-pushed tags; this file covers what a real run here cannot reach (expired
metadata, a timed-out or missing CLI) with a runner that returns recorded notary output."""
import json
import os

import pytest

from ansible_collections.dct.trust_stack.plugins.module_utils import _common, _diagnosis, _registry, _verify

ROOT_ID = 'a' * 64
OTHER_ID = 'b' * 64
GUN = 'localhost:5000/team/app'
LIST_OUT = """NAME    DIGEST                                                              SIZE (BYTES)    ROLE
----    ------                                                              ------------    ----
1.0     %s    524             targets/releases
beta    %s    524             targets/alice
""" % ('1' * 64, '2' * 64)


def test_the_exact_name_beats_the_longest_prefix():
    pins = {'localhost:5000/*': [OTHER_ID], 'localhost:5000/team/*': [ROOT_ID], GUN: [OTHER_ID]}
    assert _verify.pin_for(GUN, pins) == (GUN, [OTHER_ID])
    del pins[GUN]
    assert _verify.pin_for(GUN, pins) == ('localhost:5000/team/*', [ROOT_ID])
    assert _verify.pin_for('other/app', pins) is None


@pytest.mark.parametrize('pins, named', [
    ({'Team/*': [ROOT_ID]}, 'lower case'),
    ({'team/*/app': [ROOT_ID]}, 'prefix ending'),
    ({GUN: ROOT_ID}, 'non-empty list'),
    ({GUN: []}, 'non-empty list'),
    ({GUN: ['abc']}, 'abc'),
    ([GUN], 'mapping'),
])
def test_bad_pins_are_named(pins, named):
    with pytest.raises(_common.TrustError, match=named):
        _verify.check_pins(pins)


def test_settings_come_from_the_notary_config_unless_given(tmp_path):
    config = tmp_path / 'config.json'
    config.write_text(json.dumps({'trust_dir': 'trust', 'remote_server': {'url': 'https://notary:4443', 'root_ca': 'ca.crt'},
                                  'trust_pinning': {'certs': {GUN: [ROOT_ID]}, 'disable_tofu': True}}))
    (tmp_path / 'ca.crt').write_text('x')
    settings = _verify.settle({'notary_config': str(config)})
    assert settings['server'] == 'https://notary:4443'
    assert settings['cache_dir'] == str(tmp_path / 'trust')  # relative to the config, as notary reads it
    assert settings['ca_cert'] == str(tmp_path / 'ca.crt')
    assert settings['pins'] == {GUN: [ROOT_ID]} and settings['disable_tofu'] is True
    given = _verify.settle({'notary_config': str(config), 'server': 'https://other:443', 'disable_tofu': False})
    assert given['server'] == 'https://other:443' and given['disable_tofu'] is False


def test_without_a_trust_dir_each_server_gets_its_own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    settings = _verify.settle({'server': 'https://notary.example.com'})
    assert settings['cache_dir'] == str(tmp_path / '.cache' / 'dct.trust_stack' / 'notary' / 'notary.example.com:443')
    with pytest.raises(_common.TrustError, match='not an https'):
        _verify.settle({'server': 'http://notary:4443'})


def verifier(tmp_path, answer, pins=None, disable_tofu=False, root_ids=(ROOT_ID,)):
    """A NotaryVerifier whose notary CLI answers (rc, out, err), with a cached root.json holding root_ids."""
    trust_dir = tmp_path / 'trust'
    metadata = trust_dir / 'tuf' / GUN / 'metadata'
    metadata.mkdir(parents=True)
    (metadata / 'root.json').write_text(json.dumps({'signed': {'roles': {'root': {'keyids': list(root_ids)}}}}))
    calls = []

    def runner(argv, env):
        calls.append((argv, env))
        return answer(argv) if callable(answer) else answer
    settings = dict(server='https://notary:4443', ca_cert=None, cache_dir=str(trust_dir), pins=pins or {},
                    disable_tofu=disable_tofu)
    return _verify.NotaryVerifier(runner, settings), calls


def by_role(argv):
    """What notary list answers for the roles asked: a signer's role holds only what that signer signed."""
    roles = argv[argv.index('--roles') + 1]
    if roles == 'targets/releases,targets':
        return 0, LIST_OUT, ''
    return 0, '\nNo targets present in this repository.\n\n', ''


def test_resolution_follows_docker_pull_and_the_signer(tmp_path):
    v, calls = verifier(tmp_path, by_role)
    assert v.resolve(GUN, ['1.0'])['1.0'] == {'digest': 'sha256:' + '1' * 64, 'size': 524, 'role': 'targets/releases'}
    assert calls[0][0][-2:] == ['--roles', 'targets/releases,targets']
    with pytest.raises(_common.TrustError, match='beta: unsigned for a content-trust pull: only targets/alice'):
        v.resolve(GUN, ['beta'])
    with pytest.raises(_common.TrustError, match='1.0: wrong signer: it is signed in targets/releases, not by signer "bob"'):
        v.resolve(GUN, ['1.0'], signer='bob')
    with pytest.raises(_common.TrustError, match='2.0: unsigned'):
        v.resolve(GUN, ['2.0'])
    v.close()


@pytest.mark.parametrize('answer, reason', [
    ((1, '', '\n* fatal: targets expired at Sun Nov 30 00:00:00 UTC 2025\n'), 'expired trust data: targets expired at'),
    ((1, '', '* fatal: could not validate the path to a trusted root: unable to match any certificates to trust_pinning '
             'config'), 'root mismatch: the server\'s root key is not the pinned one'),
    ((1, '', '* fatal: could not rotate trust to a new trusted root: failed to validate data with current trusted '
             'certificates'), 'root mismatch: the server\'s root is not signed by the root this client trusts'),
    ((1, '', '* fatal: could not validate the path to a trusted root: invalid trust pinning specified'), 'not pinned'),
    ((1, '', '* fatal: notary:4443 does not have trust data for %s' % GUN), 'unsigned: the notary server'),
    ((1, '', '* fatal: client is offline'), 'unreachable'),
    ((1, '', '* fatal: x509: certificate signed by unknown authority'), 'not trusted'),
    ((1, '', '* fatal: you are not authorized to perform this operation: server returned 401.'), 'not allowed'),
    ((124, '', ''), 'did not answer within'),
    ((127, '', 'No such file or directory: notary'), 'not installed'),
    ((0, LIST_OUT, 'level=warning msg="Error while downloading remote metadata, using cached timestamp"'),
     'unreachable, and trust data from the cache'),
    # what the notary CLI printed for the malicious-server suite's attacks (molecule/default/tests/test_attacks.py)
    ((1, '* fatal: version 1 is lower than current version 2\n', ''), 'rollback \\(or freeze\\)'),
    ((1, '* fatal: valid signatures did not meet threshold for targets\n', ''), 'signature or key: '),
    ((1, '* fatal: tuf: data has no signatures\n', ''), 'threshold not met: '),
    ((1, '* fatal: could not validate the path to a trusted root: failed to validate integrity of roots\n', ''),
     'root mismatch: the server\'s root is not signed by the keys it names'),
    ((0, LIST_OUT, 'time="2026-12-07T09:35:42Z" level=warning msg="Error getting targets/releases: valid signatures did not '
                   'meet threshold for targets/releases"'), 'signature or key: the delegation targets/releases'),
    ((0, LIST_OUT, 'time="2026-12-07T09:35:42Z" level=warning msg="Error getting targets/releases: targets/releases expired at '
                   'Sat Dec 5 09:35:39 UTC 2026"'), 'expired trust data: the delegation targets/releases expired'),
])
def test_each_failure_is_refused_with_its_reason(tmp_path, answer, reason):
    v, dummy = verifier(tmp_path, answer, pins={GUN: [ROOT_ID]})
    with pytest.raises(_common.TrustError, match=reason):
        v.resolve(GUN, ['1.0'])


def test_a_delegation_that_no_tag_is_read_from_may_fail_to_verify(tmp_path):
    # targets/alice (another signer's) is skipped by notary; the resolution reads targets/releases and targets only
    v, dummy = verifier(tmp_path, (0, LIST_OUT, 'level=warning msg="Error getting targets/alice: targets/alice expired at '
                                                'Sat Dec 5 09:35:39 UTC 2026"'))
    assert v.resolve(GUN, ['1.0'])['1.0']['role'] == 'targets/releases'
    with pytest.raises(_common.TrustError, match='the delegation targets/alice expired'):
        v.resolve(GUN, ['beta'], signer='alice')


def test_a_verification_that_fails_leaves_the_cache_as_it_was(tmp_path):
    metadata = tmp_path / 'trust' / 'tuf' / GUN / 'metadata'

    def answer(argv):
        # notary writes each file as soon as it verifies: the server's timestamp, then targets fails
        (metadata / 'timestamp.json').write_text('{"signed": {"version": 9}}')
        return 1, '* fatal: valid signatures did not meet threshold for targets\n', ''
    v, dummy = verifier(tmp_path, answer)
    before = sorted(p.name for p in metadata.iterdir())
    with pytest.raises(_common.TrustError, match='signature or key'):
        v.resolve(GUN, ['1.0'])
    assert sorted(p.name for p in metadata.iterdir()) == before == ['root.json']


def test_a_cached_root_is_checked_against_the_pins(tmp_path):
    # notary itself accepts a cached root that the pin does not name
    v, dummy = verifier(tmp_path, (0, LIST_OUT, ''), pins={'localhost:5000/*': [OTHER_ID]})
    with pytest.raises(_common.TrustError, match='root mismatch: the root this client trusts'):
        v.resolve(GUN, ['1.0'])


def test_disable_tofu_refuses_an_unpinned_cached_root(tmp_path):
    v, dummy = verifier(tmp_path, (0, LIST_OUT, ''), pins={'other/*': [ROOT_ID]}, disable_tofu=True)
    with pytest.raises(_common.TrustError, match='not pinned'):
        v.resolve(GUN, ['1.0'])


def test_the_generated_config_holds_the_pins_and_is_private(tmp_path):
    v, calls = verifier(tmp_path, (0, LIST_OUT, ''), pins={GUN: [ROOT_ID]}, disable_tofu=True)
    v.resolve(GUN, ['1.0'])
    config = calls[0][0][calls[0][0].index('-c') + 1]
    assert os.stat(config).st_mode & 0o777 == 0o600
    with open(config) as handle:
        assert json.load(handle)['trust_pinning'] == {'certs': {GUN: [ROOT_ID]}, 'disable_tofu': True}
    v.close()
    assert not os.path.exists(config)


def test_credentials_reach_the_cli_through_its_environment_only(tmp_path):
    calls = []
    settings = dict(server='https://notary:4443', ca_cert=None, cache_dir=str(tmp_path), pins={}, disable_tofu=False)
    v = _verify.NotaryVerifier(lambda argv, env: calls.append((argv, env)) or (1, '', '* fatal: client is offline'),
                               settings, credentials=lambda gun: ('alice', 's3cret'))
    with pytest.raises(_common.TrustError):
        v.list(GUN, ['targets'])
    argv, env = calls[0]
    assert env == {'NOTARY_AUTH': 'YWxpY2U6czNjcmV0'}
    assert not any('s3cret' in a for a in argv)


def test_credentials_fall_back_from_username_to_registry_username_to_docker_login(tmp_path, monkeypatch):
    monkeypatch.setenv('DOCKER_CONFIG', str(tmp_path))
    (tmp_path / 'config.json').write_text(json.dumps({'auths': {'registry:5000': {'auth': 'Ym9iOnB3'}}}))
    assert _verify.credentials_for({'username': 'alice', 'password': 'a', 'registry_username': 'r'}, GUN) == ('alice', 'a')
    assert _verify.credentials_for({'registry_username': 'r', 'registry_password': 'p'}, GUN) == ('r', 'p')
    assert _verify.credentials_for({}, 'registry:5000/x/y') == ('bob', 'pw')
    assert _verify.credentials_for({}, 'other:5000/x/y') is None


def test_a_refusal_by_the_front_says_who_was_refused_where(tmp_path):
    settings = dict(server='https://notary:4443', ca_cert=None, cache_dir=str(tmp_path), pins={}, disable_tofu=False)
    v = _verify.NotaryVerifier(lambda argv, env: (1, '\n* fatal: you are not authorized to perform this operation: '
                                                     'server returned 401.\n', ''), settings,
                               credentials=lambda gun: ('reader', 'pw'))
    with pytest.raises(_common.TrustError, match='not allowed for user reader on repository %s' % GUN):
        v.list(GUN, ['targets'])


def test_messages_are_the_cli_error_without_log_decoration():
    err = ('time="2026-12-02T14:54:04Z" level=error msg="could not reach https://localhost:1: Get \\"https://localhost:1/v2/\\": '
           'dial tcp 127.0.0.1:1: connect: connection refused"\n'
           'time="2026-12-02T14:54:04Z" level=warning msg="Error while downloading remote metadata, using cached timestamp"')
    assert _diagnosis.last_line(err, prefer='could not reach').startswith('could not reach https://localhost:1: Get "https://')
    assert _diagnosis.last_line('noise\n* fatal: client is offline\n') == 'client is offline'


def test_podman_logins_count_too(tmp_path, monkeypatch):
    monkeypatch.setenv('DOCKER_CONFIG', str(tmp_path / 'docker'))
    monkeypatch.setenv('REGISTRY_AUTH_FILE', str(tmp_path / 'auth.json'))
    (tmp_path / 'auth.json').write_text(json.dumps({'auths': {'registry:5000': {'auth': 'Y2FyOmM='}}}))
    assert _registry.docker_config_auth('registry:5000') == ('car', 'c')
    assert _registry.docker_config_auth('other:5000') is None


@pytest.mark.parametrize('message,refused', [
    ('denied: not allowed for user alice on repository team-b/x (push)', True),
    ('unable to reach trust server at this time: 403.', True),
    ('* fatal: you are not authorized to perform this operation: server returned 401.', True),
    ('no basic auth credentials', True),
    ('unable to reach trust server at this time: 500.', False),
    ('manifest sha256:ab4031 not found', False),   # a status code inside a digest is not one
])
def test_refusals_by_the_front_are_told_from_other_failures(message, refused):
    assert _diagnosis.is_refusal(message) is refused
