# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TUF key IDs of PEM keys and certificates, and the private keys of a docker trust directory.

cryptography is imported on first use: a module run that needs no key ID does not pay for it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import hashlib
import json
import os
import re

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError


def _pem_blocks(data):
    """Yield (type, DER bytes) of each PEM block, ignoring notary's 'role: x' headers."""
    text = data.decode('ascii', errors='replace') if isinstance(data, bytes) else data
    for match in re.finditer(r'-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----', text, re.S):
        body = [line for line in match.group(2).strip().splitlines() if line.strip() and ':' not in line]
        yield match.group(1), base64.b64decode(''.join(body))


def pem_headers(data):
    """Return the 'name: value' headers of the first PEM block (notary writes role and gun there)."""
    text = data.decode('ascii', errors='replace') if isinstance(data, bytes) else data
    match = re.search(r'-----BEGIN [A-Z0-9 ]+-----(.*?)-----END', text, re.S)
    headers = {}
    if match:
        for line in match.group(1).strip().splitlines():
            if ':' in line:
                key, dummy, value = line.partition(':')
                headers[key.strip()] = value.strip()
    return headers


def _crypto():
    """cryptography's x509, serialization and key classes, imported on first use (they cost ~30 ms of
    module start-up, and only key and certificate reads need them)."""
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519
    except ImportError as exc:
        raise TrustError('the cryptography Python library is required: %s' % exc)
    return x509, serialization, ec, rsa, ed25519


def tuf_key_id(keytype, public):
    """The TUF key ID: hex SHA-256 of the canonical JSON of the public key."""
    canonical = json.dumps({'keytype': keytype, 'keyval': {'private': None, 'public': base64.b64encode(public).decode('ascii')}},
                           sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def _keytype(public_key):
    dummy, dummy, ec, rsa, ed25519 = _crypto()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 'ecdsa'
    if isinstance(public_key, rsa.RSAPublicKey):
        return 'rsa'
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return 'ed25519'
    raise TrustError('unsupported key type %s' % type(public_key).__name__)


def _public_id(public_key):
    serialization = _crypto()[1]
    keytype = _keytype(public_key)
    if keytype == 'ed25519':
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return tuf_key_id(keytype, raw)
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return tuf_key_id(keytype, der)


def key_id_from_pem(data, password=None):
    """Key ID of a PEM private key, public key or certificate, as notary and docker trust compute it.

    A private key's ID is its public key's ID. A certificate's ID is that of an
    '<type>-x509' key whose public value is the certificate in PEM."""
    x509, serialization = _crypto()[:2]
    blocks = list(_pem_blocks(data))
    if not blocks:
        raise TrustError('no PEM block found')
    kind, der = blocks[0]
    if kind == 'CERTIFICATE':
        cert = x509.load_der_x509_certificate(der)
        pem = cert.public_bytes(serialization.Encoding.PEM)
        return tuf_key_id(_keytype(cert.public_key()) + '-x509', pem)
    if kind == 'PUBLIC KEY':
        return _public_id(serialization.load_der_public_key(der))
    if 'PRIVATE KEY' in kind:
        encrypted = kind == 'ENCRYPTED PRIVATE KEY' or 'ENCRYPTED' in pem_headers(data).get('Proc-Type', '')
        # a passphrase given for an unencrypted key is not used (it encrypts the key in the trust directory)
        secret = (password.encode('utf-8') if isinstance(password, str) else password) if encrypted else None
        if encrypted and not secret:
            raise TrustError('the private key is encrypted and no passphrase was given')
        try:
            if kind in ('EC PRIVATE KEY', 'RSA PRIVATE KEY'):
                # traditional OpenSSL PEM: rebuilt without notary's role/gun headers unless it is encrypted
                pem = data if encrypted else b'-----BEGIN %s-----\n%s\n-----END %s-----\n' % (
                    kind.encode(), base64.encodebytes(der).strip(), kind.encode())
                key = serialization.load_pem_private_key(pem if isinstance(pem, bytes) else pem.encode(), password=secret)
            else:
                key = serialization.load_der_private_key(der, password=secret)
        except (ValueError, TypeError) as exc:
            raise TrustError('cannot read the private key (wrong passphrase?): %s' % exc)
        return _public_id(key.public_key())
    raise TrustError('unsupported PEM block "%s"' % kind)


def certificate_not_before(pem):
    """The notBefore of a PEM certificate, timezone-aware UTC."""
    return _crypto()[0].load_pem_x509_certificate(pem).not_valid_before_utc


def key_id_aliases(data):
    """All IDs a public key or certificate may be listed under: for a certificate, its own ID and the
    canonical ID of its public key (notary prints the latter for delegations); else the one ID."""
    ids = [key_id_from_pem(data)]
    blocks = list(_pem_blocks(data))
    if blocks and blocks[0][0] == 'CERTIFICATE':
        ids.append(_public_id(_crypto()[0].load_der_x509_certificate(blocks[0][1]).public_key()))
    return ids


def key_id_from_file(path, password=None, aliases=False):
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except (IOError, OSError) as exc:
        raise TrustError('cannot read key file %s: %s' % (path, exc))
    try:
        return key_id_aliases(data) if aliases else key_id_from_pem(data, password)
    except TrustError as exc:
        raise TrustError('%s: %s' % (path, exc))
    except ValueError as exc:
        raise TrustError('%s: not a PEM key or certificate (%s)' % (path, exc))


def private_keys(trust_dir):
    """{key ID: PEM bytes} of every private key in a docker trust directory (files private/<ID>.key)."""
    private = os.path.join(trust_dir, 'private')
    found = {}
    if os.path.isdir(private):
        for entry in sorted(os.listdir(private)):
            if entry.endswith('.key'):
                with open(os.path.join(private, entry), 'rb') as handle:
                    found[entry[:-len('.key')]] = handle.read()
    return found


def keys_of_role(trust_dir, role):
    """{key ID: PEM bytes} of the private keys of role in a docker trust directory."""
    return dict((key_id, data) for key_id, data in private_keys(trust_dir).items()
                if pem_headers(data).get('role') == role)


def check_signer_key(module, trust_dir, role, passphrase):
    """Fail before any change when the trust directory holds no private key of role, no passphrase is given, or
    the passphrase decrypts none of them (told by openssl, see decrypt_private_key; without openssl only the CLI
    can tell, at the publish)."""
    keys = keys_of_role(trust_dir, role)
    if not keys:
        raise TrustError('no private key of signer "%s" in %s/private; load or generate it with '
                         'dct.trust_stack.trust_key' % (role, trust_dir))
    if not passphrase:
        raise TrustError('the private key of signer "%s" is encrypted: repository_passphrase is required' % role)
    for key_id in sorted(keys):
        try:
            decrypt_private_key(module, os.path.join(trust_dir, 'private', key_id + '.key'), passphrase)
            return
        except TrustError:
            continue
    raise TrustError('wrong repository_passphrase? It decrypts no private key of signer "%s" in %s/private (key IDs %s)'
                     % (role, trust_dir, ', '.join(sorted(keys))))


def local_key_ids(keys, key_ids, trust_dir):
    """{key ID of key_ids: the ID its private key is filed under in trust_dir/private} for each of key_ids
    whose private key is there. keys: the TUF keys ({ID: {keytype, keyval}}) of root.json or of a
    delegation; a certificate's key ('<type>-x509') is filed under its public key's ID, so aliases count."""
    local = set(private_keys(trust_dir))
    found = {}
    for key_id in key_ids:
        ids = [key_id]
        key = keys.get(key_id) or {}
        if key.get('keytype', '').endswith('-x509'):
            try:
                ids = key_id_aliases(base64.b64decode(key['keyval']['public']))
            except (KeyError, ValueError, binascii.Error, TrustError):
                ids = [key_id]
        held = [i for i in ids if i in local]
        if held:
            found[key_id] = held[0]
    return found


def put_back_private_keys(trust_dir, saved):
    """Make the trust directory's private keys exactly saved (private_keys() before a change) again: notary
    may remove or add keys before a publish it then fails, which would otherwise lose a key or leave one."""
    private_dir = os.path.join(trust_dir, 'private')
    for key_id in set(private_keys(trust_dir)) - set(saved):
        os.remove(os.path.join(private_dir, key_id + '.key'))
    for key_id, data in saved.items():
        path = os.path.join(private_dir, key_id + '.key')
        if not os.path.exists(path):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, 'wb') as handle:
                handle.write(data)


def decrypt_private_key(module, path, passphrase):
    """The private key file path (notary's encrypted PKCS#8) as unencrypted PKCS#8 PEM bytes, decrypted by
    openssl with the passphrase in its environment only (cryptography decrypts notary's encoding but will not
    parse the key inside). TrustError when it cannot be decrypted; None when openssl is not installed."""
    try:
        with open(path, 'rb') as handle:
            lines = handle.read().decode('ascii', 'replace').splitlines(True)
    except (IOError, OSError) as exc:
        raise TrustError('cannot read key file %s: %s' % (path, exc))
    openssl = module.get_bin_path('openssl')
    if not openssl:
        return None
    pem = ''.join(line for line in lines if ':' not in line or line.startswith('-----'))
    rc, out, err = module.run_command([openssl, 'pkcs8', '-passin', 'env:DCT_KEY_PASSPHRASE'], data=pem, binary_data=True,
                                      environ_update={'DCT_KEY_PASSPHRASE': passphrase or ''})
    if rc != 0:
        raise TrustError('cannot decrypt %s: wrong passphrase? (openssl: %s)' % (path, err.strip().splitlines()[:1]))
    return out.encode('ascii') if isinstance(out, str) else out


def check_root_passphrase(module, trust_dir, passphrase, repository):
    """Before a change that initializes repository (it has no trust data yet): docker trust initializes every new
    repository with a root key already in the trust directory, if it holds one, so root_passphrase must be that
    key's passphrase. Fail naming the key otherwise, before anything changes (check mode too)."""
    if not passphrase:
        raise TrustError('%s has no trust data yet: initializing it needs root_passphrase' % repository)
    private = os.path.join(trust_dir, 'private')
    for key_id in sorted(keys_of_role(trust_dir, 'root')):
        try:
            decrypt_private_key(module, os.path.join(private, key_id + '.key'), passphrase)
        except TrustError:
            raise TrustError(
                '%s has no trust data yet, and docker trust initializes a new repository with the root key already in '
                '%s (key ID %s), but root_passphrase does not decrypt it: give that key\'s passphrase as '
                'root_passphrase, or a separate config_dir to start a fresh root key' % (repository, private, key_id))


def public_key_pem(module, path, passphrase, role):
    """The public key of the private key file path (in a trust directory) as `docker trust key generate` writes it:
    a PUBLIC KEY PEM block with a "role: <role>" header."""
    private = decrypt_private_key(module, path, passphrase)
    if private is None:
        raise TrustError('openssl is needed to read the generated key %s (Debian package openssl)' % path)
    serialization = _crypto()[1]
    key = serialization.load_pem_private_key(private, password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    body = base64.encodebytes(der).decode('ascii')
    return ('-----BEGIN PUBLIC KEY-----\nrole: %s\n\n%s-----END PUBLIC KEY-----\n' % (role, body)).encode('ascii')


def unencrypted_pem(module, data, passphrase):
    """data (a PEM private key) decrypted with passphrase, as `docker trust key load` decrypts a key it loads (so that
    the trust directory's copy is encrypted with the signer's passphrase); data itself when it is not encrypted.
    openssl decrypts it, the passphrase in its environment only."""
    blocks = list(_pem_blocks(data))
    if not blocks:
        raise TrustError('no PEM block found')
    if blocks[0][0] != 'ENCRYPTED PRIVATE KEY' and 'ENCRYPTED' not in pem_headers(data).get('Proc-Type', ''):
        return data
    openssl = module.get_bin_path('openssl')
    if not openssl:
        raise TrustError('openssl is needed to decrypt an encrypted key (Debian package openssl)')
    rc, out, err = module.run_command([openssl, 'pkey', '-passin', 'env:DCT_KEY_PASSPHRASE'], data=data, binary_data=True,
                                      environ_update={'DCT_KEY_PASSPHRASE': passphrase or ''})
    if rc != 0:
        raise TrustError('cannot decrypt the key: wrong passphrase? (openssl: %s)' % err.strip().splitlines()[:1])
    return out.encode('ascii') if isinstance(out, str) else out
