"""Hardening of the deployed stack (issue 7's security list): TLS floors, the signer's mutual TLS,
file modes of keys, and how the containers run. Each test has a positive control, so it can fail."""
import datetime
import os
import socket
import ssl
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from conftest import NOTARY_PORT, REGISTRY_PORT, SERVICES, STACK, ca_cert, inspect_container, state_dir

HOST_DIR = f'/etc/dct-trust-stack/{STACK}'


def handshake(host, port, context, server_hostname):
    """TLS handshake, then one read so a refusal sent after the handshake (TLS 1.3) shows too."""
    with socket.create_connection((host, port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_hostname) as tls:
            tls.settimeout(5)
            try:
                tls.sendall(b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')
                tls.recv(1)
            except socket.timeout:
                pass
            return tls.version()


def context(maximum=None, minimum=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(ca_cert())
    ctx.set_ciphers('DEFAULT:@SECLEVEL=0')  # let this client offer old protocols: the server must refuse them
    if minimum:
        ctx.minimum_version = minimum
    if maximum:
        ctx.maximum_version = maximum
    return ctx


@pytest.mark.parametrize('port', [NOTARY_PORT, REGISTRY_PORT])
def test_tls_below_1_2_is_refused(port):
    assert handshake('127.0.0.1', port, context(), 'localhost') in ('TLSv1.2', 'TLSv1.3')
    assert handshake('127.0.0.1', port, context(maximum=ssl.TLSVersion.TLSv1_2), 'localhost') == 'TLSv1.2'
    for old in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        with pytest.raises(ssl.SSLError) as refused:
            handshake('127.0.0.1', port, context(minimum=ssl.TLSVersion.TLSv1, maximum=old), 'localhost')
        # the server's alert, not a client-side refusal
        assert 'ALERT_PROTOCOL_VERSION' in str(refused.value) or 'protocol version' in str(refused.value), refused.value


def signer_address():
    networks = inspect_container('notary_signer')['NetworkSettings']['Networks']
    return networks[f'{STACK}_signer']['IPAddress']


def client_certificate(tmp_path, name, issuer=None, client_auth=True):
    """A client key and certificate: self-signed, or issued by issuer (cert, key); with or without the
    clientAuth extended key usage. Returns (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'notary-server')])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    now = datetime.datetime.now(datetime.timezone.utc)
    usages = [ExtendedKeyUsageOID.SERVER_AUTH] + ([ExtendedKeyUsageOID.CLIENT_AUTH] if client_auth else [])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .sign(signing_key, hashes.SHA256()))
    (tmp_path / f'{name}.crt').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / f'{name}.key').write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()))
    return str(tmp_path / f'{name}.crt'), str(tmp_path / f'{name}.key')


def stack_ca():
    pki = state_dir() / 'pki'
    return (x509.load_pem_x509_certificate((pki / 'ca.crt').read_bytes()),
            serialization.load_pem_private_key((pki / 'ca.key').read_bytes(), password=None))


def signer_context(cert=None, key=None):
    ctx = context()
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def test_signer_accepts_the_servers_certificate_only(tmp_path):
    address = signer_address()
    server_dir = f'{HOST_DIR}/notary_server'
    # positive controls: notary-server's own client certificate, and one the stack CA issues for clientAuth
    assert handshake(address, 7899, signer_context(f'{server_dir}/notary-server.crt', f'{server_dir}/notary-server.key'),
                     'notary-signer')
    assert handshake(address, 7899, signer_context(*client_certificate(tmp_path, 'ca-client', stack_ca())), 'notary-signer')
    refused = {
        'self-signed': client_certificate(tmp_path, 'self'),
        'CA-issued without clientAuth': client_certificate(tmp_path, 'ca-server-only', stack_ca(), client_auth=False),
        'no certificate': (None, None),
    }
    for case, (cert, key) in refused.items():
        try:
            handshake(address, 7899, signer_context(cert, key), 'notary-signer')
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as refusal:
            print(f'{case}: refused ({refusal})')
            continue
        pytest.fail(f'the signer accepted a client with {case}')


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_private_keys_are_0600_in_0700_directories():
    keys = list((state_dir() / 'pki').rglob('*.key')) + list((state_dir() / 'credentials').iterdir())
    keys += [p for p in (os.path.join(HOST_DIR, s, f) for s in SERVICES for f in os.listdir(os.path.join(HOST_DIR, s)))
             if p.endswith('.key') or p.endswith('htpasswd')]
    assert len(keys) > 8
    for key in keys:
        assert mode(key) == 0o600, key
        assert mode(os.path.dirname(key)) == 0o700, os.path.dirname(key)


@pytest.mark.parametrize('service', SERVICES)
def test_containers_run_unprivileged(service):
    container = inspect_container(service)
    user = container['Config']['User'].split(':')[0]
    assert user not in ('', '0', 'root')
    assert 'no-new-privileges' in (container['HostConfig']['SecurityOpt'] or [])
    assert container['HostConfig']['CapDrop'] and 'ALL' in container['HostConfig']['CapDrop']
    assert container['HostConfig']['ReadonlyRootfs'] is True
    assert container['HostConfig']['Privileged'] is False
