"""Batch signing's decisions that the real runs (signing and faults scenarios, make bench) cannot force on demand:
which roles a tag goes into for every shape of delegation, how `docker push` output is read, and which publish
failures are tried again, how often, and what is left staged when it gives up."""
import os

import pytest

from ansible_collections.dct.trust_stack.plugins.module_utils import _parsers, _staging
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError

HELD, OTHER = 'a' * 64, 'b' * 64


@pytest.fixture
def trust_dir(tmp_path):
    os.makedirs(tmp_path / 'private')
    (tmp_path / 'private' / (HELD + '.key')).write_text('-----BEGIN ENCRYPTED PRIVATE KEY-----\nrole: alice\n')
    return str(tmp_path)


def delegation(name, keyids, paths=('',)):
    return {'name': name, 'keyids': list(keyids), 'paths': list(paths), 'threshold': 1}


def targets(*roles):
    keys = {HELD: {'keytype': 'ecdsa', 'keyval': {'public': 'x'}}, OTHER: {'keytype': 'ecdsa', 'keyval': {'public': 'y'}}}
    return {'delegations': {'keys': keys, 'roles': list(roles)}} if roles else {'targets': {}}


def test_a_repository_without_delegations_is_signed_into_targets(trust_dir):
    assert _staging.signable_roles(targets(), trust_dir, ['v1']) == {'v1': ['targets']}
    assert _staging.signable_roles(None, trust_dir, ['v1', 'v2']) == {'v1': ['targets'], 'v2': ['targets']}


def test_every_direct_delegation_whose_key_is_held_and_whose_paths_allow_the_tag(trust_dir):
    meta = targets(delegation('targets/releases', [HELD]), delegation('targets/alice', [HELD]),
                   delegation('targets/bob', [OTHER]), delegation('targets/alice/deeper', [HELD]),
                   delegation('targets/prod', [HELD], paths=['prod-']))
    assert _staging.signable_roles(meta, trust_dir, ['v1', 'prod-1']) == {
        'v1': ['targets/alice', 'targets/releases'], 'prod-1': ['targets/alice', 'targets/prod', 'targets/releases']}


def test_no_held_key_means_no_role(trust_dir):
    assert _staging.signable_roles(targets(delegation('targets/bob', [OTHER])), trust_dir, ['v1']) == {'v1': []}


def test_the_digest_and_size_docker_push_reports_for_the_tag():
    out = ('The push refers to repository [localhost:5000/team/app]\n5f70bf18a086: Layer already exists\n'
           'v2: digest: sha256:%s size: 528\n' % ('c' * 64))
    assert _parsers.pushed(out, 'v2') == ('c' * 64, 528)
    with pytest.raises(TrustError, match='did not say which digest'):
        _parsers.pushed(out, 'v3')


class FakeNotary(object):
    """Answers each publish from a list of (rc, stderr); records every command."""

    def __init__(self, publishes, addhash_rc=0):
        self.publishes = list(publishes)
        self.addhash_rc = addhash_rc
        self.calls = []

    def run(self, args):
        self.calls.append(args)
        if args[0] == 'publish':
            rc, err = self.publishes.pop(0)
            return rc, '', err
        if args[0] == 'addhash':
            return self.addhash_rc, '', 'addhash failed' if self.addhash_rc else ''
        return 0, '', ''

    def run_many(self, arg_lists, workers):
        return [self.run(args) for args in arg_lists]

    def fail_on_refusal(self, rc, out, err, what):
        pass

    def fail_on(self, rc, out, err, what):
        if rc:
            raise TrustError('%s failed: %s' % (what, err))


CONFLICT = 'Pushing changes to x\n* fatal: trust server rejected operation.'
TARGETS = {'v2': ('c' * 64, 528, ['targets/releases', 'targets/alice']), 'v1': ('d' * 64, 529, ['targets'])}


def test_each_tag_staged_into_its_roles_then_one_publish():
    notary = FakeNotary([(0, '')])
    assert _staging.stage_and_publish(notary, 'r', TARGETS, 3, sleep=lambda s: None) == 0
    assert notary.calls == [
        ['reset', '--all', 'r'],
        ['addhash', 'r', 'v1', '529', '--sha256', 'd' * 64],
        ['addhash', 'r', 'v2', '528', '--sha256', 'c' * 64, '-r', 'targets/releases', '-r', 'targets/alice'],
        ['publish', 'r'],
    ]


def test_a_publish_refused_for_another_signers_publish_is_tried_again_with_growing_pauses():
    notary = FakeNotary([(1, CONFLICT), (1, 'unable to reach trust server at this time: 500.'), (0, '')])
    pauses = []
    assert _staging.stage_and_publish(notary, 'r', TARGETS, 3, sleep=pauses.append) == 2
    assert [c[0] for c in notary.calls].count('publish') == 3
    assert len(pauses) == 2 and 0.1 <= pauses[0] <= 0.4 and 0.2 <= pauses[1] <= 0.8


def test_refusals_past_the_bound_fail_naming_it_and_drop_what_was_staged():
    notary = FakeNotary([(1, CONFLICT)] * 3)
    with pytest.raises(TrustError, match=r'refused 3 times .*raise publish_retries.*: trust server rejected operation'):
        _staging.stage_and_publish(notary, 'r', TARGETS, 2, sleep=lambda s: None)
    assert notary.calls[-1] == ['reset', '--all', 'r']


def test_other_publish_failures_are_not_tried_again():
    notary = FakeNotary([(1, 'could not find necessary signing keys, at least one of these keys must be available: ab')])
    with pytest.raises(TrustError, match='notary publish failed: could not find necessary signing keys'):
        _staging.stage_and_publish(notary, 'r', TARGETS, 5, sleep=lambda s: None)
    assert [c[0] for c in notary.calls] == ['reset', 'addhash', 'addhash', 'publish', 'reset']


def test_a_failed_staging_publishes_nothing_and_leaves_nothing_staged():
    notary = FakeNotary([], addhash_rc=1)
    with pytest.raises(TrustError, match='staging r:v1'):
        _staging.stage_and_publish(notary, 'r', TARGETS, 5, sleep=lambda s: None)
    assert [c[0] for c in notary.calls] == ['reset', 'addhash', 'addhash', 'reset']


def test_a_front_that_lost_its_notary_server_is_tried_again_and_the_refusals_are_counted():
    # on a stack spread over several hosts, the entry may send a publish to a front whose notary-server was just
    # killed (502), or the server's database node went away (500): the next try goes through
    notary = FakeNotary([(1, 'unable to reach trust server at this time: 502.'), (0, '')])
    assert _staging.publish(notary, 'r', 3, sleep=lambda s: None, what='changing signer ci of r') == 1


def test_a_change_that_fails_for_another_reason_says_what_it_was_changing():
    notary = FakeNotary([(1, 'could not find necessary signing keys')])
    with pytest.raises(TrustError, match=r'^changing signer ci of r \(notary publish r\) failed: could not find'):
        _staging.publish(notary, 'r', 3, sleep=lambda s: None, what='changing signer ci of r')
    assert notary.calls == [['publish', 'r'], ['reset', '--all', 'r']]
