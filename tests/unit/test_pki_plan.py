"""dct.trust_stack.pki_plan: the check that lets the pki role skip its community.crypto tasks. The
molecule scenarios run it against what the role made (a re-run is changed=0, a renewal window makes it
renew); these tests pin each reason it gives, with certificates made here."""
import datetime
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.dct.trust_stack.plugins.lookup.pki_plan import PkiPlan

LEAFS = {'registry': {'names': ['registry', 'localhost'], 'ips': ['127.0.0.1'], 'usages': ['serverAuth']}}
NOW = datetime.datetime.now(datetime.timezone.utc)


def write(path, data, mode):
    with open(path, 'wb') as handle:
        handle.write(data)
    os.chmod(path, mode)


def write_key(path, key, mode=0o600):
    write(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()), mode)


def certificate(subject_cn, key, issuer_cn, issuer_key, days, ca=False, names=(), ips=(), usages=()):
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, key_encipherment=not ca, key_cert_sign=ca, crl_sign=ca,
                                            content_commitment=False, data_encipherment=False, key_agreement=False,
                                            encipher_only=False, decipher_only=False), critical=True))
    if not ca:
        import ipaddress
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [getattr(ExtendedKeyUsageOID, {'serverAuth': 'SERVER_AUTH', 'clientAuth': 'CLIENT_AUTH'}[u]) for u in usages]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture
def pki(tmp_path):
    """A PKI directory as the role leaves it: a CA and one registry leaf, all as wanted."""
    os.chmod(tmp_path, 0o700)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    write_key(tmp_path / 'ca.key', ca_key)
    write(tmp_path / 'ca.crt', certificate('Test CA', ca_key, 'Test CA', ca_key, 3650, ca=True)
          .public_bytes(serialization.Encoding.PEM), 0o644)
    write_key(tmp_path / 'registry.key', leaf_key)
    write(tmp_path / 'registry.crt', certificate('registry', leaf_key, 'Test CA', ca_key, 365, names=['registry', 'localhost'],
                                                 ips=['127.0.0.1'], usages=['serverAuth']).public_bytes(serialization.Encoding.PEM), 0o644)
    return tmp_path, ca_key, leaf_key


def plan(directory, **changes):
    options = dict(dir=str(directory), ca_cert=str(directory / 'ca.crt'), ca_key=str(directory / 'ca.key'), own_ca=False,
                   ca_common_name='Test CA', stack='', key_type='ECC', key_curve='secp256r1', key_size=3072, leafs=LEAFS,
                   renew_days=30)
    options.update(changes)
    return PkiPlan(options).run()


def test_a_pki_as_wanted_needs_nothing(pki):
    assert plan(pki[0]) == {'dir': [], 'ca': [], 'leafs': {'registry': []}, 'foreign': '', 'record': False}


def test_another_stacks_pki_is_named_for_the_role_to_refuse(pki):
    # without a record of its stack: by the CA's common name; the record is to be written when it is this stack's
    assert plan(pki[0], stack='two', ca_common_name='Other CA')['foreign'] == 'its CA is "Test CA", not "Other CA"'
    assert plan(pki[0], stack='one') == {'dir': [], 'ca': [], 'leafs': {'registry': []}, 'foreign': '', 'record': True}
    # with the record: by it, whatever the CA is called (a restore under another name keeps the CA)
    (pki[0] / 'stack').write_text('one\n')
    assert plan(pki[0], stack='two')['foreign'] == 'it belongs to stack one (%s/stack)' % pki[0]
    assert plan(pki[0], stack='one', ca_common_name='Other CA')['foreign'] == ''
    # an own CA may serve several stacks; a missing directory is no one's
    assert plan(pki[0], stack='two', own_ca=True)['foreign'] == ''
    assert plan(pki[0] / 'none', stack='two') == dict(plan(pki[0] / 'none', stack='two'), foreign='', record=True)


def test_a_missing_directory_ca_and_leaf_are_all_to_be_made(tmp_path):
    result = plan(tmp_path / 'none')
    assert 'missing' in result['dir'][0] and 'missing' in result['ca'][0]
    assert result['leafs']['registry'][0] == 'the CA is to be made'


def test_a_key_with_a_loose_mode_is_named(pki):
    os.chmod(pki[0] / 'registry.key', 0o644)
    assert plan(pki[0])['leafs']['registry'] == ['%s has mode 0644, not 0600' % (pki[0] / 'registry.key')]


def test_a_leaf_in_its_renewal_window_is_renewed(pki):
    reasons = plan(pki[0], renew_days=400)['leafs']['registry']
    assert len(reasons) == 1 and 'renewal is due 400 days before it expires' in reasons[0]


def test_changed_names_or_usages_remake_the_leaf(pki):
    leafs = {'registry': dict(LEAFS['registry'], names=['registry', 'localhost', 'reg2'])}
    assert 'names' in plan(pki[0], leafs=leafs)['leafs']['registry'][0]
    leafs = {'registry': dict(LEAFS['registry'], usages=['serverAuth', 'clientAuth'])}
    assert 'is not for serverAuth, clientAuth' in plan(pki[0], leafs=leafs)['leafs']['registry'][0]


def test_a_leaf_of_another_ca_or_key_is_remade(pki):
    directory, dummy, leaf_key = pki
    other = ec.generate_private_key(ec.SECP256R1())
    write(directory / 'registry.crt', certificate('registry', leaf_key, 'Test CA', other, 365, names=['registry', 'localhost'],
                                                  ips=['127.0.0.1'], usages=['serverAuth']).public_bytes(serialization.Encoding.PEM), 0o644)
    assert 'is not issued by' in plan(directory)['leafs']['registry'][0]
    write_key(directory / 'registry.key', other)
    assert any('does not carry the public key' in r for r in plan(directory)['leafs']['registry'])


def test_a_key_of_another_type_is_remade(pki):
    reasons = plan(pki[0], key_type='RSA', key_size=3072)
    assert 'is not an RSA 3072 key' in reasons['ca'][0]
    assert reasons['leafs']['registry'][0] == 'the CA is to be made'


def test_an_own_ca_is_never_made(pki):
    os.chmod(pki[0] / 'ca.key', 0o644)
    wanted = {'dir': [], 'ca': [], 'leafs': {'registry': []}, 'foreign': '', 'record': False}
    assert plan(pki[0], own_ca=True, ca_common_name='anything') == wanted
