"""How module_utils explains a failed `docker trust sign`. The faults scenario produces these
failures for real (full registry volume, MariaDB stopped, crashed signer); these tests pin each branch,
including the server's health being read only when the failure points at the server."""
from ansible_collections.dct.trust_stack.plugins.module_utils import _common, _diagnosis

REGISTRY_500 = ('Signing and pushing trust data for local image localhost:17000/app:v1, may overwrite remote trust data\n'
                'received unexpected HTTP status: 500 Internal Server Error')
SERVER_500 = 'failed to sign localhost:17000/app:v1: unable to reach trust server at this time: 500.'
SERVER_400 = 'failed to sign localhost:17000/app:d1: trust server rejected operation.'
SIGNER_DOWN = 'An error occurred during validation: rpc error: code = Unavailable desc = connection refused'
NO_KEYS = 'failed to sign localhost:17000/app:v1: could not find necessary signing keys, at least one of these keys'


class FakeServer(object):
    def __init__(self):
        self.asked = 0

    def health_report(self):
        self.asked += 1
        return 'now: the notary server answered HTTP 503 for /_notary_server/health: {"DB operational": "down"}'


def test_a_registry_500_points_at_its_storage_without_asking_the_notary_server():
    server = FakeServer()
    text = _diagnosis.explain_sign_failure(REGISTRY_500, 'alice', server)
    assert text.startswith('the registry failed to store the pushed image (HTTP 500 Internal Server Error)')
    assert 'full or read-only' in text and REGISTRY_500 in text
    assert server.asked == 0


def test_a_server_side_failure_adds_the_servers_health():
    for message in (SERVER_500, SERVER_400, SIGNER_DOWN, 'Could not publish Repository since we could not update: EOF'):
        server = FakeServer()
        text = _diagnosis.explain_sign_failure(message, 'alice', server)
        assert text.startswith(message) and 'DB operational' in text
        assert server.asked == 1


def test_a_wrong_passphrase_is_named_before_anything_else():
    server = FakeServer()
    text = _diagnosis.explain_sign_failure(NO_KEYS, 'alice', server)
    assert text.startswith('wrong repository_passphrase or signer_passphrase?') and server.asked == 0


def test_the_clis_warnings_are_dropped_and_its_errors_kept():
    noisy = ('time="2026-11-29T14:58:45Z" level=warning msg="Error while downloading remote metadata, using cached timestamp"\n'
             'time="2026-11-29T14:58:45Z" level=error msg="Could not publish Repository since we could not update"\n' + SERVER_500)
    text = _diagnosis.explain_sign_failure(noisy, 'alice')
    assert 'level=warning' not in text and 'level=error' in text and text.endswith(SERVER_500)


def test_other_failures_pass_through_unchanged():
    assert _diagnosis.explain_sign_failure('denied: requested access to the resource is denied', 'alice', FakeServer()) == \
        'denied: requested access to the resource is denied'
    assert _diagnosis.explain_sign_failure(SERVER_500, 'alice') == SERVER_500  # no server to ask


def test_a_trust_error_carries_what_was_done_before_it():
    exc = _common.TrustError('docker trust sign x:2 failed', changed=True, actions=['sign x:1'])
    assert str(exc) == 'docker trust sign x:2 failed'
    assert exc.result == {'changed': True, 'actions': ['sign x:1']}


def test_the_container_cli_and_a_bad_key_passphrase_are_told_apart_by_what_the_clis_print():
    # docker 28 and 20.10 print "Docker version ...", podman and podman-docker's docker "podman version ..."
    assert _diagnosis.is_docker_cli('Docker version 28.2.2, build e6534b4\n')
    assert _diagnosis.is_docker_cli('Docker version 20.10.24+dfsg1, build 297e128\n')
    assert not _diagnosis.is_docker_cli('podman version 4.3.1\n')
    assert not _diagnosis.is_docker_cli('')
    # skopeo standalone-sign with a wrong --passphrase-file (seen in the fleet scenario)
    assert _diagnosis.is_bad_passphrase('time="2026-12-07T06:49:46Z" level=fatal msg="Error creating signature: Bad passphrase"')
    assert not _diagnosis.is_bad_passphrase('level=fatal msg="Error creating signature: no secret key"')
    assert _diagnosis.engine_not_running('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. '
                                         'Is the docker daemon running?')
