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
import socket
import ssl
from urllib.parse import quote, urlparse

# Only the Python standard library at module start: a re-run that finds nothing to do costs a module
# start-up, and cryptography (key IDs) and urllib.request (the notary server) are imported when used.

# Options every module that talks to a notary server takes (doc_fragments/trust.py, SERVER).
SERVER_ARGS = dict(
    server=dict(type='str'),
    config_dir=dict(type='path'),
    timeout=dict(type='int', default=120),
)
# ... and the modules that run the docker CLI (doc_fragments/trust.py, DOCUMENTATION).
TRUST_COMMON_ARGS = dict(SERVER_ARGS, docker_cli=dict(type='str', default='docker'))

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
    """A failure with a message meant for the user; result holds what was done before it (for example
    changed=True and the tags already signed), reported with the failure."""

    def __init__(self, message, **result):
        super(TrustError, self).__init__(message)
        self.result = result


def run_module(module, action):
    """Run action(module) and exit with its result, or fail with the TrustError it raised."""
    try:
        result = action(module)
    except TrustError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    module.exit_json(**result)


def check_signer_name(name):
    """Raise TrustError for a signer name the docker CLI would refuse."""
    if name in RESERVED_SIGNER_NAMES:
        raise TrustError('signer name "%s" is reserved by docker trust' % name)
    if not SIGNER_NAME_RE.match(name or ''):
        raise TrustError('signer name "%s" is invalid: it must match %s' % (name, SIGNER_NAME_RE.pattern))


def split_repository(ref, hint=''):
    """The repository of 'repo' (no tag allowed); raise TrustError when malformed or tagged."""
    repository, tag = split_reference(ref)
    if tag:
        raise TrustError('repository "%s" must not carry a tag%s' % (ref, hint))
    return repository


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


# ---------------------------------------------------------------- the CLI

class ServerClient(object):
    """What the docker and the notary CLI wrappers share: the docker config directory and its trust
    directory, the notary server and the CA it is verified with, and running a binary with a timeout,
    no stdin and secrets in its environment only."""

    cli_option = None      # the module option naming the binary
    cli_default = None

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.config_dir = self.params.get('config_dir') or os.path.join(os.path.expanduser('~'), '.docker')
        self.trust_dir = os.path.join(self.config_dir, 'trust')
        self._binary = None
        self._server_checked = False

    @property
    def binary(self):
        """The CLI's path, looked up when first needed (reading metadata over HTTPS needs no CLI)."""
        if self._binary is None:
            cli = self.params.get(self.cli_option) or self.cli_default
            found = cli if os.path.sep in cli else self.module.get_bin_path(cli)
            if not found or not os.access(found, os.X_OK):
                raise TrustError('%s CLI "%s" not found or not executable (option %s)' % (self.cli_default, cli, self.cli_option))
            self._binary = found
        return self._binary

    def environment(self):
        raise NotImplementedError

    def command(self, args):
        return [self.binary] + list(args)

    def run(self, args):
        """Run the CLI with args; return (rc, stdout, stderr). stdin is empty, so a prompt fails."""
        timeout = str(self.params.get('timeout') or 120)
        cmd = ['timeout', '--kill-after=5', timeout] + self.command(args)
        rc, out, err = self.module.run_command(cmd, data=b'', binary_data=True, environ_update=self.environment())
        if rc == 124:
            raise TrustError('%s %s timed out after %s s (option timeout)' % (self.binary, ' '.join(args), timeout))
        return rc, out, err

    def fail_on(self, rc, out, err, what):
        if rc != 0:
            message = (err or out).strip()
            raise TrustError('%s failed: %s' % (what, message))

    def server_url(self):
        return self.params.get('server') or os.environ.get('DOCKER_CONTENT_TRUST_SERVER')

    def ca_file(self):
        """Where the docker CLI looks for the notary server's CA: <config_dir>/tls/<host:port>/ca.crt."""
        return os.path.join(self.config_dir, 'tls', urlparse(self.server_url()).netloc, 'ca.crt')

    def get(self, path):
        """GET path from the notary server, verified with the CA the docker CLI would use; return the body.
        Raise TrustError saying whether the server is untrusted, unhealthy or unreachable."""
        # the standard library's urllib (proxies from the environment, as the docker CLI): ansible's
        # module_utils.urls would add ~0.1 s to every module start, used or not
        import urllib.error
        import urllib.request
        url = self.server_url()
        parsed = urlparse(url)
        hostport = parsed.netloc if parsed.port else '%s:443' % parsed.hostname
        ca_file = self.ca_file()
        context = ssl.create_default_context(cafile=ca_file if os.path.exists(ca_file) else None)
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
        try:
            with opener.open(url.rstrip('/') + path, timeout=15) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode('utf-8', 'replace').strip()
            raise TrustError('the notary server %s answered HTTP %s for %s%s'
                             % (url, exc.code, path, ': ' + body[:500] if body else ''))
        except (urllib.error.URLError, ssl.SSLError, OSError) as exc:
            # an SSL error other than a certificate one (say, the server closed the connection) is "unreachable"
            text = str(getattr(exc, 'reason', None) or exc)
            if 'CERTIFICATE' in text.upper():
                raise TrustError('the notary server %s is not trusted: %s (put its CA at %s)' % (url, text, ca_file))
            raise TrustError('the notary server %s (%s) is unreachable: %s' % (url, hostport, text))

    def health_report(self):
        """One line on the notary server's health now, for an error message."""
        try:
            self.get('/_notary_server/health')
        except TrustError as exc:
            return 'now: %s' % exc
        return ("the notary server's health check passes now, but it notices a failed database or signer only after a "
                "while: a 500 or EOF from the server means one of them (or the server) failed; retry, or see the "
                "notary-server log")

    def check_server(self):
        """Fail clearly, before anything changes, when the notary server is unreachable, unhealthy or not
        trusted by the CA the docker CLI would use."""
        if not self.server_url() or self._server_checked:
            return
        self.get('/_notary_server/health')
        self._server_checked = True  # once per module run: first contact and the first change may both ask


class TrustCLI(ServerClient):
    """Runs `docker trust ...` for a module: no stdin, passphrases through the environment only."""

    cli_option = 'docker_cli'
    cli_default = 'docker'

    def __init__(self, module, root_passphrase=None, repository_passphrase=None):
        super(TrustCLI, self).__init__(module)
        self.root_passphrase = root_passphrase
        self.repository_passphrase = repository_passphrase
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

    def no_trust_command(self, message):
        """The error for a docker CLI without `docker trust` (docker CLI 29 moved it into a plugin)."""
        return TrustError('the docker CLI at %s has no "docker trust" command (docker CLI 29 moved it into a '
                          'plugin; install it or point docker_cli at a CLI that has it): %s' % (self.binary, message))

    def ensure_trust_command(self):
        """Fail clearly when this docker CLI has no `docker trust`, before a command that changes something."""
        if self._checked:
            return
        rc, out, err = self.run(['trust', '--help'])
        if rc != 0 or 'inspect' not in out:
            raise self.no_trust_command((err or out).strip())
        self._checked = True

    def inspect(self, repository):
        """Trust data of a repository (all its signed tags), or None when it has none yet.

        The server is checked (reachable, healthy, its TLS verified with the CA the CLI would use) on first
        contact, when the CLI has no cached trust data for the repository yet: the docker CLI skips TLS
        verification of the notary server for a registry it deems insecure (any on loopback), and first
        contact is when it pins the repository's root key. Later reads need no probe; when the CLI fails
        or falls back to its cache, the check then tells an unreachable server from a mismatched cache."""
        if not os.path.isdir(os.path.join(self.trust_dir, 'tuf', repository)):
            self.check_server()
        rc, out, err = self.run(['trust', 'inspect', repository])
        if 'using cached' in err:
            # the CLI fell back to its local cache: the server did not give it the repository's metadata
            last = err.strip().splitlines()[-1]
            try:
                self.check_server()
            except TrustError as exc:
                raise TrustError('%s (the docker CLI fell back to cached trust data for %s: %s)' % (exc, repository, last))
            raise TrustError('the notary server answers but has no trust data for %s that matches the docker '
                             'CLI\'s cache in %s/tuf/%s (was the server reset? then remove that cache '
                             'directory): %s' % (repository, self.trust_dir, repository, last))
        if rc == 0:
            self._checked = True
            data = json.loads(out)
            if data:
                return data[0]
        message = (err or out).strip()
        lowered = message.lower()
        if rc == 0 or 'does not have trust data' in lowered or 'no signatures' in lowered or 'not signed' in lowered:
            # no trust data, or "No signatures or cannot access <repo>": the CLI says the same when it cannot
            # reach or trust the server, so ask the server before calling the repository new
            self.check_server()
            return None
        if 'is not a docker command' in lowered or 'unknown command' in lowered:
            raise self.no_trust_command(message)
        if 'certificate' in lowered or 'x509' in lowered or 'tls' in lowered:
            raise TrustError('the notary server for %s is not trusted: %s (install the stack CA under '
                             '%s/tls/<server host:port>/ca.crt)' % (repository, message, self.config_dir))
        if ('connection refused' in lowered or 'no such host' in lowered or 'timeout' in lowered
                or 'unreachable' in lowered or 'i/o timeout' in lowered):
            raise TrustError('the notary server for %s is unreachable: %s' % (repository, message))
        raise TrustError('docker trust inspect %s failed: %s' % (repository, message))

    def image_digests(self, repository, tags):
        """{tag: the digest the registry knows the local image repository:tag by, or None when never pushed}.

        Asks the Docker engine's API once for every image of the repository when the CLI would talk to
        a local unix socket (no process to start); else, or when a tag is not found that way (a name the
        engine spells differently), one `docker image inspect` of every tag, which fails for a tag that is
        not present locally."""
        images = engine_images(self.config_dir, repository, int(self.params.get('timeout') or 120))
        if images is not None:
            by_tag = {}
            for image in images:
                for ref in image.get('RepoTags') or []:
                    name, dummy, tag = ref.rpartition(':')
                    if name == repository:
                        by_tag[tag] = image.get('RepoDigests') or []
            if all(tag in by_tag for tag in tags):
                return dict((tag, repo_digest(by_tag[tag], repository)) for tag in tags)
        refs = ['%s:%s' % (repository, t) for t in tags]
        rc, out, err = self.run(['image', 'inspect', '--format', '{{json .RepoDigests}}'] + refs)
        lines = out.splitlines()
        if rc != 0 or len(lines) != len(refs):
            raise TrustError('image not present locally: %s' % (err or out).strip())
        return dict((tag, repo_digest(json.loads(line) or [], repository)) for tag, line in zip(tags, lines))


def repo_digest(repo_digests, repository):
    """The hex digest of repository in an image's RepoDigests (name@sha256:hex), or None."""
    for entry in repo_digests:
        name, dummy, digest = entry.partition('@sha256:')
        if name == repository:
            return digest
    return None


def engine_socket(config_dir):
    """The unix socket of the Docker engine the docker CLI would use, or None when it would use another
    engine (DOCKER_HOST not unix://, TLS, a docker context): then only the CLI knows."""
    host = os.environ.get('DOCKER_HOST')
    if not host:
        if os.environ.get('DOCKER_CONTEXT'):
            return None
        try:
            with open(os.path.join(config_dir, 'config.json')) as handle:
                if json.load(handle).get('currentContext') not in (None, '', 'default'):
                    return None
        except (IOError, OSError, ValueError):
            pass
        host = 'unix:///var/run/docker.sock'
    if not host.startswith('unix://') or os.environ.get('DOCKER_TLS_VERIFY'):
        return None
    path = host[len('unix://'):]
    return path if os.path.exists(path) else None


def engine_images(config_dir, repository, timeout):
    """The Docker engine's image list for repository (GET /images/json, filtered by reference) over its
    unix socket, or None when there is no such socket to use or it does not answer (ask the CLI then)."""
    path = engine_socket(config_dir)
    if not path:
        return None
    import http.client

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(path)

    connection = UnixConnection('localhost', timeout=timeout)
    try:
        connection.request('GET', '/images/json?filters=%s' % quote(json.dumps({'reference': [repository]})))
        response = connection.getresponse()
        body = response.read()
        return json.loads(body) if response.status == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()


class NotaryCLI(ServerClient):
    """Runs the notary CLI on the docker trust directory (`notary -s <server> -d <config_dir>/trust`),
    with the CA the docker CLI uses; passphrases as NOTARY_<ROLE>_PASSPHRASE in its environment only."""

    cli_option = 'notary_cli'
    cli_default = 'notary'

    def __init__(self, module, passphrases):
        super(NotaryCLI, self).__init__(module)
        if not self.server_url():
            raise TrustError('no notary server: set the option server (or DOCKER_CONTENT_TRUST_SERVER)')
        self.passphrases = passphrases

    def environment(self):
        return dict(('NOTARY_%s_PASSPHRASE' % role.upper(), value)
                    for role, value in self.passphrases.items() if value)

    def command(self, args):
        # the CA the docker CLI would use, when there is one there; else the system's trusted CAs
        ca_file = self.ca_file()
        ca = ['--tlscacert', ca_file] if os.path.exists(ca_file) else []
        return [self.binary, '-s', self.server_url(), '-d', self.trust_dir] + ca + list(args)

    def metadata(self, gun, role):
        """The signed part of a role's metadata (root, targets, targets/<name>...) on the server, or None
        when the server has none."""
        try:
            return json.loads(self.get('/v2/%s/_trust/tuf/%s.json' % (gun, role)))['signed']
        except TrustError as exc:
            if 'HTTP 404' in str(exc):
                return None
            raise

    def root_metadata(self, gun):
        """The signed part of the repository's root.json on the server; TrustError when it has no trust data."""
        root = self.metadata(gun, 'root')
        if root is None:
            raise TrustError('%s has no trust data on %s yet: sign a tag first' % (gun, self.server_url()))
        return root

    def change(self, gun, steps, what):
        """Stage each notary command of steps, then publish; on a failure drop what was staged and raise."""
        for args in list(steps) + [['publish', gun]]:
            rc, out, err = self.run(args)
            if rc != 0:
                self.run(['reset', '--all', gun])
                self.fail_on(rc, out, err, '%s (notary %s)' % (what, ' '.join(args[:2])))


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


def check_signer_key(trust_dir, role, passphrase):
    """Fail before any change when the trust directory holds no private key of role, or no passphrase is given.

    Whether the passphrase is right only the docker CLI can tell: notary's PKCS#8 encoding is one
    cryptography refuses to read (OpenSSL reads it). See explain_sign_failure()."""
    if not keys_of_role(trust_dir, role):
        raise TrustError('no private key of signer "%s" in %s/private; load or generate it with '
                         'dct.trust_stack.trust_key' % (role, trust_dir))
    if not passphrase:
        raise TrustError('the private key of signer "%s" is encrypted: repository_passphrase is required' % role)


# what the docker CLI prints when the notary server or the registry failed on its side
SERVER_FAILURE_SIGNS = ('unable to reach trust server', 'could not update: EOF', 'rpc error')
CLI_NOISE_RE = re.compile(r'time="[^"]*" level=(warning|info|debug) ')
REGISTRY_FAILURE_RE = re.compile(r'received unexpected HTTP status: (5\d\d[^\n]*)')


def explain_sign_failure(message, role, server=None):
    """Say what a failed `docker trust sign` most likely means. The docker CLI says 'could not find
    necessary signing keys' when a passphrase is wrong, and 'unexpected HTTP status: 500' when the
    registry could not store the image; for other server-side failures server (a ServerClient) adds
    what the notary server's health check says now."""
    # the CLI's own warnings (metadata fetch retries) drown the error; keep its errors and plain lines
    message = '\n'.join(line for line in message.splitlines() if not CLI_NOISE_RE.match(line))
    if role and 'could not find necessary signing keys' in message:
        return ('wrong repository_passphrase? The private key of signer "%s" is in the trust directory but '
                'the docker CLI could not use it: %s' % (role, message))
    registry = REGISTRY_FAILURE_RE.search(message)
    if registry:
        return ('the registry failed to store the pushed image (HTTP %s): its storage may be full or read-only, '
                'see the registry\'s log. %s' % (registry.group(1).strip(), message))
    if server is not None and any(sign in message for sign in SERVER_FAILURE_SIGNS):
        return '%s [%s]' % (message, server.health_report())
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
