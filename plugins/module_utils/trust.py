# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the dct.trust_stack modules share: running the docker CLI's trust commands
without prompts, reading `docker trust inspect`, and computing TUF key IDs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import json
import os
import re
import ssl

from ansible.module_utils.six.moves.urllib.parse import urlparse
from ansible.module_utils.urls import open_url

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa, ed25519
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the modules
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

# Options every trust module takes (documented in doc_fragments/trust.py).
TRUST_COMMON_ARGS = dict(
    docker_cli=dict(type='str', default='docker'),
    server=dict(type='str'),
    config_dir=dict(type='path'),
    timeout=dict(type='int', default=120),
)

# docker/cli: signer names; 'releases' is reserved.
SIGNER_NAME_RE = re.compile(r'^[a-z0-9][a-z0-9_-]*$')
RESERVED_SIGNER_NAMES = ('releases',)

# A docker image reference: [host[:port]/]path[:tag][@digest], lower-case path components.
_HOST = r'(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)'
_COMPONENT = r'(?:[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)'
_REPOSITORY = r'(?:%s/)?%s(?:/%s)*' % (_HOST, _COMPONENT, _COMPONENT)
_TAG = r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'
TAG_RE = re.compile(r'^%s$' % _TAG)
REFERENCE_RE = re.compile(r'^(?P<repository>%s)(?::(?P<tag>%s))?$' % (_REPOSITORY, _TAG))


class TrustError(Exception):
    """A failure with a message meant for the user."""


def run_module(module, action):
    """Run action(module) and exit with its result, or fail with the TrustError it raised."""
    try:
        result = action(module)
    except TrustError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


def check_signer_name(name):
    """Raise TrustError for a signer name the docker CLI would refuse."""
    if name in RESERVED_SIGNER_NAMES:
        raise TrustError('signer name "%s" is reserved by docker trust' % name)
    if not SIGNER_NAME_RE.match(name or ''):
        raise TrustError('signer name "%s" is invalid: it must match %s' % (name, SIGNER_NAME_RE.pattern))


def split_reference(ref):
    """Split 'repo[:tag]' into (repository, tag or None); raise TrustError when malformed."""
    if '@' in ref:
        raise TrustError('image reference "%s" is malformed: sign a tag, not a digest' % ref)
    match = REFERENCE_RE.match(ref or '')
    if not match or len(match.group('repository')) > 255:
        raise TrustError('image reference "%s" is malformed: expected [host[:port]/]name[:tag] '
                         'with a lower-case name' % ref)
    return match.group('repository'), match.group('tag')


# ---------------------------------------------------------------- key IDs

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


def tuf_key_id(keytype, public):
    """The TUF key ID: hex SHA-256 of the canonical JSON of the public key."""
    canonical = json.dumps({'keytype': keytype, 'keyval': {'private': None, 'public': base64.b64encode(public).decode('ascii')}},
                           sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def _keytype(public_key):
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return 'ecdsa'
    if isinstance(public_key, rsa.RSAPublicKey):
        return 'rsa'
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return 'ed25519'
    raise TrustError('unsupported key type %s' % type(public_key).__name__)


def _public_id(public_key):
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
    if not HAS_CRYPTOGRAPHY:
        raise TrustError('the cryptography Python library is required: %s' % CRYPTOGRAPHY_IMPORT_ERROR)
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
        secret = password.encode('utf-8') if isinstance(password, str) else password
        if kind == 'ENCRYPTED PRIVATE KEY' and not secret:
            raise TrustError('the private key is encrypted and no passphrase was given')
        try:
            if kind == 'EC PRIVATE KEY' or kind == 'RSA PRIVATE KEY':
                rebuilt = b'-----BEGIN %s-----\n%s\n-----END %s-----\n' % (
                    kind.encode(), base64.encodebytes(der).strip(), kind.encode())
                key = serialization.load_pem_private_key(rebuilt, password=secret)
            else:
                key = serialization.load_der_private_key(der, password=secret)
        except (ValueError, TypeError) as exc:
            raise TrustError('cannot read the private key (wrong passphrase?): %s' % exc)
        return _public_id(key.public_key())
    raise TrustError('unsupported PEM block "%s"' % kind)


def key_id_aliases(data):
    """All IDs a public key or certificate may be listed under: for a certificate, its own ID and the
    canonical ID of its public key (notary prints the latter for delegations); else the one ID."""
    ids = [key_id_from_pem(data)]
    blocks = list(_pem_blocks(data))
    if blocks and blocks[0][0] == 'CERTIFICATE':
        ids.append(_public_id(x509.load_der_x509_certificate(blocks[0][1]).public_key()))
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


# ---------------------------------------------------------------- the CLI

class TrustCLI(object):
    """Runs `docker trust ...` for a module: no stdin, passphrases through the environment only."""

    def __init__(self, module, root_passphrase=None, repository_passphrase=None):
        self.module = module
        self.params = module.params
        self.root_passphrase = root_passphrase
        self.repository_passphrase = repository_passphrase
        self.config_dir = self.params.get('config_dir') or os.path.join(os.path.expanduser('~'), '.docker')
        self.trust_dir = os.path.join(self.config_dir, 'trust')
        cli = self.params.get('docker_cli') or 'docker'
        self.binary = cli if os.path.sep in cli else module.get_bin_path(cli)
        if not self.binary or not os.access(self.binary, os.X_OK):
            raise TrustError('docker CLI "%s" not found or not executable (option docker_cli)' % cli)
        self._checked = False

    def environment(self):
        env = {'DOCKER_CONFIG': self.config_dir, 'DOCKER_CONTENT_TRUST': '1'}
        if self.params.get('server'):
            env['DOCKER_CONTENT_TRUST_SERVER'] = self.params['server']
        if self.root_passphrase:
            env['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE'] = self.root_passphrase
        if self.repository_passphrase:
            env['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE'] = self.repository_passphrase
        return env

    def run(self, args):
        """Run the docker CLI with args; return (rc, stdout, stderr). stdin is empty, so a prompt fails."""
        timeout = str(self.params.get('timeout') or 120)
        cmd = ['timeout', '--kill-after=5', timeout, self.binary] + list(args)
        rc, out, err = self.module.run_command(cmd, data=b'', binary_data=True, environ_update=self.environment())
        if rc == 124:
            raise TrustError('%s %s timed out after %s s (option timeout)' % (self.binary, ' '.join(args), timeout))
        return rc, out, err

    def server_url(self):
        return self.params.get('server') or os.environ.get('DOCKER_CONTENT_TRUST_SERVER')

    def check_server(self):
        """Fail clearly when the notary server is unreachable or its certificate is not trusted by the
        CA the docker CLI would use (<config_dir>/tls/<host:port>/ca.crt), before anything changes."""
        url = self.server_url()
        if not url:
            return
        parsed = urlparse(url)
        hostport = parsed.netloc if parsed.port else '%s:443' % parsed.hostname
        ca_file = os.path.join(self.config_dir, 'tls', parsed.netloc, 'ca.crt')
        try:
            open_url(url.rstrip('/') + '/_notary_server/health', method='GET', timeout=15, validate_certs=True,
                     ca_path=ca_file if os.path.exists(ca_file) else None)
        except ssl.SSLError as exc:
            raise TrustError('the notary server %s is not trusted: %s (put its CA at %s)' % (url, exc, ca_file))
        except Exception as exc:  # urllib wraps the reasons; tell certificate and network apart by text
            text = str(getattr(exc, 'reason', exc))
            if 'CERTIFICATE' in text.upper() or 'SSL' in text.upper():
                raise TrustError('the notary server %s is not trusted: %s (put its CA at %s)' % (url, text, ca_file))
            if getattr(exc, 'code', None):
                raise TrustError('the notary server %s is not healthy: HTTP %s' % (url, exc.code))
            raise TrustError('the notary server %s (%s) is unreachable: %s' % (url, hostport, text))

    def ensure_trust_command(self):
        """Fail clearly when this docker CLI has no `docker trust` (docker 29 moved it to a plugin)."""
        if self._checked:
            return
        rc, out, err = self.run(['trust', '--help'])
        if rc != 0 or 'inspect' not in out:
            raise TrustError('the docker CLI at %s has no "docker trust" command (docker CLI 29 moved it into a '
                             'plugin; install it or point docker_cli at a CLI that has it): %s'
                             % (self.binary, (err or out).strip()))
        self._checked = True

    def inspect(self, repository):
        """Trust data of a repository (all its signed tags), or None when it has none yet."""
        self.ensure_trust_command()
        rc, out, err = self.run(['trust', 'inspect', repository])
        if 'using cached' in err:
            # the CLI fell back to its local cache: the server did not answer
            raise TrustError('the notary server for %s did not answer (the docker CLI fell back to cached trust '
                             'data): %s' % (repository, err.strip().splitlines()[-1]))
        if rc == 0:
            data = json.loads(out)
            return data[0] if data else None
        message = (err or out).strip()
        lowered = message.lower()
        if 'certificate' in lowered or 'x509' in lowered or 'tls' in lowered:
            raise TrustError('the notary server for %s is not trusted: %s (install the stack CA under '
                             '%s/tls/<server host:port>/ca.crt)' % (repository, message, self.config_dir))
        if ('connection refused' in lowered or 'no such host' in lowered or 'timeout' in lowered
                or 'unreachable' in lowered or 'i/o timeout' in lowered):
            raise TrustError('the notary server for %s is unreachable: %s' % (repository, message))
        if 'does not have trust data' in lowered or 'no signatures' in lowered or 'not signed' in lowered:
            return None
        raise TrustError('docker trust inspect %s failed: %s' % (repository, message))

    def fail_on(self, rc, out, err, what):
        if rc != 0:
            message = (err or out).strip()
            raise TrustError('%s failed: %s' % (what, message))


def keys_of_role(trust_dir, role):
    """{key ID: PEM bytes} of the private keys of role in a docker trust directory."""
    private = os.path.join(trust_dir, 'private')
    found = {}
    if os.path.isdir(private):
        for entry in sorted(os.listdir(private)):
            if entry.endswith('.key'):
                with open(os.path.join(private, entry), 'rb') as handle:
                    data = handle.read()
                if pem_headers(data).get('role') == role:
                    found[entry[:-len('.key')]] = data
    return found


def check_signer_key(trust_dir, role, passphrase):
    """Fail before any change when the trust directory holds no private key of role, or no passphrase is given.

    Whether the passphrase is right only the docker CLI can tell: notary's PKCS#8 encoding is one
    cryptography refuses to read (OpenSSL reads it). See explain_sign_failure()."""
    if not keys_of_role(trust_dir, role):
        raise TrustError('no private key of signer "%s" in %s/private; load or generate it with '
                         'dct.trust_stack.trust_key' % (role, trust_dir))
    if not passphrase:
        raise TrustError('the private key of signer "%s" is encrypted: repository_passphrase is required' % role)


def explain_sign_failure(message, role):
    """The docker CLI says 'could not find necessary signing keys' when a passphrase is wrong."""
    if role and 'could not find necessary signing keys' in message:
        return ('wrong repository_passphrase? The private key of signer "%s" is in the trust directory but '
                'the docker CLI could not use it: %s' % (role, message))
    return message


def signer_keys(data):
    """{signer name: sorted key IDs} from inspect data (None: no trust data)."""
    if not data:
        return {}
    return dict((s['Name'], sorted(k['ID'] for k in s.get('Keys') or [])) for s in data.get('Signers') or [])


def signed_tags(data):
    """{tag: {'digest': ..., 'signers': [...]}} from inspect data."""
    if not data:
        return {}
    return dict((t['SignedTag'], {'digest': t['Digest'], 'signers': sorted(t.get('Signers') or [])})
                for t in data.get('SignedTags') or [])
