"""The audit's verdicts for what the fleet scenario cannot set up: an image under several names, an image ID, a
registry host without a port, the history's growth, and a verifier that fails (each failure stays a verdict of
its own, never signed)."""
import pytest

from ansible_collections.dct.trust_stack.plugins.module_utils._audit import RepositoryTrust, updated_history, verdict
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._references import image_registry

REG = 'registry:5000'
A = 'sha256:' + 'a' * 64
B = 'sha256:' + 'b' * 64


class FakeTrust(object):
    """RepositoryTrust with fixed answers: {gun: {digest: (tags, signers)}} or {gun: TrustError}."""

    def __init__(self, answers):
        self.answers = answers
        self.seen = {}

    def of(self, gun):
        answer = self.answers[gun]
        if isinstance(answer, TrustError):
            found = dict(verdict='no_trust_data' if answer.status == 404 else 'unverifiable', reason=str(answer))
        else:
            found = dict(signed=dict((d, dict(tags=t, signers=s)) for d, (t, s) in answer.items()))
        self.seen[gun] = found
        return found


def container(image, *digests):
    return dict(name='c', engine='podman', image=image, repo_digests=list(digests), started_at='2026-12-07T00:00:00Z')


@pytest.mark.parametrize('ref, expected', [
    ('registry:5000/team/app:v1', ('registry:5000', 'registry:5000/team/app', 'v1')),
    ('registry:5000/team/app@' + A, ('registry:5000', 'registry:5000/team/app', None)),
    ('localhost/dct-audit/base:1', ('localhost', 'localhost/dct-audit/base', '1')),
    ('dct/notary:0.7.0', ('docker.io', 'dct/notary', '0.7.0')),
    ('debian', ('docker.io', 'debian', None)),
    ('sha256:' + 'c' * 64, None),
    ('c' * 64, None),
])
def test_an_image_reference_names_its_registry(ref, expected):
    assert image_registry(ref) == expected


def test_the_verdicts():
    trust = FakeTrust({REG + '/team/app': {A: (['v1'], ['alice'])}, REG + '/team/new': TrustError('no data', status=404),
                       REG + '/team/down': TrustError('team/down: the notary server is unreachable')})
    history = {REG + '/team/app': {B: dict(tags=['v0'], first_seen='2026-12-01T00:00:00Z')}}

    def judge(found):
        return verdict(found, [REG], trust, history)
    assert judge(container(REG + '/team/app:v1', REG + '/team/app@' + A))['signers'] == ['alice']
    revoked = judge(container(REG + '/team/app:v0', REG + '/team/app@' + B))
    assert (revoked['verdict'], revoked['tags']) == ('revoked', ['v0'])
    assert judge(container(REG + '/team/app:v2', REG + '/team/app@sha256:' + 'd' * 64))['verdict'] == 'unsigned'
    assert judge(container(REG + '/team/new:1', REG + '/team/new@' + A))['verdict'] == 'no_trust_data'
    down = judge(container(REG + '/team/down:1', REG + '/team/down@' + A))
    assert down['verdict'] == 'unverifiable' and 'unreachable' in down['reason']
    # a local build under the stack's name has no registry digest: nothing can be signed with it
    assert judge(container(REG + '/team/app:local'))['verdict'] == 'unsigned'
    assert judge(container('dct/notary:0.7.0', 'dct/notary@' + A))['verdict'] == 'outside'
    assert judge(container('c' * 64))['verdict'] == 'outside'


def test_each_repository_is_read_once_however_many_containers_run_it(tmp_path):
    class Verifier(object):
        settings = {'cache_dir': str(tmp_path)}
        calls = []

        def signed(self, gun, signer=None):
            self.calls.append(gun)
            return {'v1': A}
    trust = RepositoryTrust(Verifier())
    for dummy in range(5):
        assert verdict(container(REG + '/team/app:v1', REG + '/team/app@' + A), [REG], trust, {})['verdict'] == 'signed'
    assert Verifier.calls == [REG + '/team/app']


def test_an_image_under_several_names_gets_its_best_verdict_and_its_own_name_first():
    trust = FakeTrust({REG + '/team/app': {}, REG + '/team/copy': {A: (['v1'], ['Repo Admin'])}})
    both = container(REG + '/team/app:v1', REG + '/team/app@' + A, REG + '/team/copy@' + A)
    found = verdict(both, [REG], trust, {})
    assert (found['verdict'], found['repository']) == ('signed', REG + '/team/copy')
    unsigned = verdict(container(REG + '/team/app:v1', REG + '/team/copy@' + B, REG + '/team/app@' + B), [REG], trust, {})
    assert (unsigned['verdict'], unsigned['repository']) == ('unsigned', REG + '/team/app')


def test_the_history_grows_only_with_what_is_new():
    trust = FakeTrust({REG + '/team/app': {A: (['v1'], [])}, REG + '/team/down': TrustError('x')})
    trust.of(REG + '/team/app')
    trust.of(REG + '/team/down')
    first = updated_history({}, trust, 'T1')
    assert first == {REG + '/team/app': {A: {'tags': ['v1'], 'first_seen': 'T1'}}}
    assert updated_history(first, trust, 'T2') is None
    trust.answers[REG + '/team/app'] = {A: (['v1', 'latest'], [])}
    trust.of(REG + '/team/app')
    assert updated_history(first, trust, 'T3')[REG + '/team/app'][A] == {'tags': ['latest', 'v1'], 'first_seen': 'T1'}
