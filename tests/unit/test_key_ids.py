"""TUF key IDs computed by module_utils, checked against the IDs the real docker CLI gives.

`docker trust key load` and `docker trust key generate` need no daemon and no server: they
write <DOCKER_CONFIG>/trust/private/<key ID>.key, so the file name is the CLI's own key ID.
"""
import os
import pathlib
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ansible_collections.dct.trust_stack.plugins.module_utils import _common, _keys, _parsers, _references

DOCKER_CLI_PATHS = ('/usr/local/bin/docker', '/usr/bin/docker')
DOCKER_CLIS = [c for c in DOCKER_CLI_PATHS if os.access(c, os.X_OK)]
FIXTURES = pathlib.Path(__file__).parent / 'fixtures'


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def loaded_ids(config):
    return sorted(p.stem for p in (config / 'trust' / 'private').glob('*.key'))


def docker(cli, config, *args):
    env = dict(os.environ, DOCKER_CONFIG=str(config),
               DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE='unit-test-passphrase')
    proc = subprocess.run([cli] + list(args), env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(params=DOCKER_CLIS or [None])
def cli(request):
    """Each docker CLI with `docker trust` on this machine. None is a failure, not a skip: without one, key-ID
    compatibility with `docker trust key load` would go untested unseen. DCT_NO_DOCKER_CLI=1 skips it knowingly."""
    if request.param is None:
        if os.environ.get('DCT_NO_DOCKER_CLI') == '1':
            pytest.skip('DCT_NO_DOCKER_CLI=1: key IDs not compared with docker trust key load')
        pytest.fail('no docker CLI at %s: key IDs cannot be compared with docker trust key load (install docker.io, '
                    'or set DCT_NO_DOCKER_CLI=1 to skip this knowingly)' % ' or '.join(DOCKER_CLI_PATHS))
    return request.param


@pytest.mark.parametrize('make_key', [
    lambda: ec.generate_private_key(ec.SECP256R1()),
    lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
], ids=['ecdsa', 'rsa'])
def test_private_key_id_matches_docker_trust_key_load(cli, tmp_path, make_key):
    key = make_key()
    src = tmp_path / 'signer.pem'
    src.write_bytes(pem_private(key))
    src.chmod(0o600)
    docker(cli, tmp_path / 'config', 'trust', 'key', 'load', '--name', 'unit', str(src))
    assert loaded_ids(tmp_path / 'config') == [_keys.key_id_from_file(str(src))]


def test_generated_public_key_id_matches_its_private_key_file(cli, tmp_path):
    docker(cli, tmp_path / 'config', 'trust', 'key', 'generate', 'unit', '--dir', str(tmp_path))
    public = tmp_path / 'unit.pub'
    assert _keys.pem_headers(public.read_bytes()).get('role') == 'unit'
    assert loaded_ids(tmp_path / 'config') == [_keys.key_id_from_file(str(public))]


def test_certificate_ids_include_the_one_notary_prints():
    """notary 0.7 (`notary delegation add` in the dct/notary image) printed this ID for the certificate:
    the canonical ID of its public key. The certificate's own (x509) ID comes first."""
    cert = (FIXTURES / 'delegation.crt').read_bytes()
    expected = (FIXTURES / 'delegation.crt.id').read_text().strip()
    ids = _keys.key_id_aliases(cert)
    assert ids[1] == expected
    assert ids[0] == _keys.key_id_from_pem(cert) != expected


def test_certificate_id_differs_from_its_public_key_id():
    cert = x509.load_pem_x509_certificate((FIXTURES / 'delegation.crt').read_bytes())
    pub = cert.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert _keys.key_id_from_pem(pub) != _keys.key_id_from_pem(cert.public_bytes(serialization.Encoding.PEM))


def test_encrypted_private_key_needs_its_passphrase(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.BestAvailableEncryption(b'right'))
    with pytest.raises(_common.TrustError, match='encrypted'):
        _keys.key_id_from_pem(data)
    with pytest.raises(_common.TrustError, match='wrong passphrase'):
        _keys.key_id_from_pem(data, password='wrong')
    pub = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert _keys.key_id_from_pem(data, password='right') == _keys.key_id_from_pem(pub)


def test_traditional_ec_private_key_format(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    trad = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    assert _keys.key_id_from_pem(trad) == _keys.key_id_from_pem(pem_private(key))


def test_passphrase_for_an_unencrypted_key_is_not_used():
    """trust_key's passphrase encrypts the key in the trust directory; the source key may be plain."""
    key = ec.generate_private_key(ec.SECP256R1())
    assert _keys.key_id_from_pem(pem_private(key), password='for-the-trust-dir') == _keys.key_id_from_pem(pem_private(key))


def test_encrypted_traditional_ec_private_key(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    trad = subprocess.run(['openssl', 'ec', '-aes256', '-passout', 'pass:right'], input=pem_private(key),
                          capture_output=True, check=True).stdout
    assert b'Proc-Type: 4,ENCRYPTED' in trad
    assert _keys.key_id_from_pem(trad, password='right') == _keys.key_id_from_pem(pem_private(key))
    with pytest.raises(_common.TrustError, match='wrong passphrase'):
        _keys.key_id_from_pem(trad, password='wrong')


def test_not_a_key(tmp_path):
    path = tmp_path / 'junk.pem'
    path.write_text('hello')
    with pytest.raises(_common.TrustError, match='no PEM block'):
        _keys.key_id_from_file(str(path))
    with pytest.raises(_common.TrustError, match='cannot read key file'):
        _keys.key_id_from_file(str(tmp_path / 'missing.pem'))


@pytest.mark.parametrize('name,ok', [
    ('alice', True), ('ci-bot_2', True), ('0day', True),
    ('releases', False), ('Alice', False), ('-x', False), ('a b', False), ('', False), ('ali;ce', False),
])
def test_signer_names(name, ok):
    if ok:
        _references.check_signer_name(name)
    else:
        with pytest.raises(_common.TrustError, match='signer name'):
            _references.check_signer_name(name)


@pytest.mark.parametrize('ref,expected', [
    ('localhost:5000/team/app:1.0', ('localhost:5000/team/app', '1.0')),
    ('localhost:5000/team/app', ('localhost:5000/team/app', None)),
    ('registry.example:443/a/b/c:latest', ('registry.example:443/a/b/c', 'latest')),
    ('app', ('app', None)),
])
def test_split_reference(ref, expected):
    assert _references.split_reference(ref) == expected


@pytest.mark.parametrize('ref', [
    'localhost:5000/Team/app:1.0', 'localhost:5000/team/app:', 'localhost:5000/team/app@sha256:' + 'a' * 64,
    'localhost:5000//app', 'app:bad tag', ':1.0', 'localhost:5000/team/app:-x',
])
def test_split_reference_rejects(ref):
    with pytest.raises(_common.TrustError, match='malformed'):
        _references.split_reference(ref)


def test_inspect_helpers():
    data = {'SignedTags': [{'SignedTag': 'v1', 'Digest': 'abc', 'Signers': ['bob', 'alice']}],
            'Signers': [{'Name': 'alice', 'Keys': [{'ID': 'k2'}, {'ID': 'k1'}]}]}
    assert _parsers.signed_tags(data) == {'v1': {'digest': 'abc', 'signers': ['alice', 'bob']}}
    assert _parsers.signer_keys(data) == {'alice': ['k1', 'k2']}
    assert _parsers.signed_tags(None) == {} and _parsers.signer_keys(None) == {}
