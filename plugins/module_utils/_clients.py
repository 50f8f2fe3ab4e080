# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker and notary CLI runners (no prompts, secrets in the environment only), the notary server
client they share, and the parsing of `docker trust inspect`."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import ssl
from urllib.parse import urlparse

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import engine_images, repo_digest
from ansible_collections.dct.trust_stack.plugins.module_utils._registry import (
    basic_credentials, docker_config_auth, is_refusal, refusal)
from ansible_collections.dct.trust_stack.plugins.module_utils._staging import publish, pushed

# Only the Python standard library at module start: a re-run that finds nothing to do costs a module
# start-up, and urllib.request (the notary server) is imported when used.


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

    def run(self, args, environ=None):
        """Run the CLI with args (and environ over its environment); return (rc, stdout, stderr). stdin is empty,
        so a prompt fails."""
        timeout = self.timeout()
        cmd = ['timeout', '--kill-after=5', str(timeout)] + self.command(args)
        rc, out, err = self.module.run_command(cmd, data=b'', binary_data=True,
                                               environ_update=dict(self.environment(), **(environ or {})))
        if rc == 124:
            raise self.timed_out(args, timeout)
        return rc, out, err

    def timeout(self):
        """Seconds one CLI call may take (option timeout)."""
        return int(self.params.get('timeout') or 120)

    def timed_out(self, args, timeout):
        return TrustError('%s %s timed out after %s s (option timeout)' % (self.binary, ' '.join(args), timeout))

    def run_many(self, arg_lists, workers=4, environ=None):
        """Run the CLI once per args in arg_lists, workers at a time; return their (rc, stdout, stderr) in order.
        As run() (no stdin, secrets in the environment, the timeout option per call), through subprocess directly:
        run_command's polling loop costs more than a short CLI call when several run at once."""
        import subprocess
        from concurrent.futures import ThreadPoolExecutor
        env = dict(os.environ, LANG='C.UTF-8', LC_ALL='C.UTF-8', **dict(self.environment(), **(environ or {})))
        timeout = self.timeout()

        def one(args):
            try:
                # pylint: disable-next=ansible-bad-function
                done = subprocess.run(self.command(args), input=b'', capture_output=True, env=env, timeout=timeout,
                                      check=False)
            except subprocess.TimeoutExpired:
                raise self.timed_out(args, timeout)
            return done.returncode, done.stdout.decode('utf-8', 'replace'), done.stderr.decode('utf-8', 'replace')
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(arg_lists)))) as pool:
            return list(pool.map(one, arg_lists))

    def fail_on(self, rc, out, err, what):
        if rc != 0:
            message = (err or out).strip()
            raise TrustError('%s failed: %s' % (what, message))

    def server_url(self):
        return self.params.get('server') or os.environ.get('DOCKER_CONTENT_TRUST_SERVER')

    def credentials(self, gun):
        """(user, password) that `docker login` stored for gun's registry in config_dir, or None: the front lets
        the same users reach the registry and the notary server."""
        return docker_config_auth(gun.partition('/')[0], os.path.join(self.config_dir, 'config.json'))

    def ca_file(self):
        """Where the docker CLI looks for the notary server's CA: <config_dir>/tls/<host:port>/ca.crt."""
        return os.path.join(self.config_dir, 'tls', urlparse(self.server_url()).netloc, 'ca.crt')

    def get(self, path, auth_gun=None):
        """GET path from the notary server; see request()."""
        return self.request('GET', path, auth_gun=auth_gun)

    def request(self, method, path, body=None, content_type=None, auth_gun=None):
        """Send a request to the notary server, verified with the CA the docker CLI would use; return the body.
        The credentials are those of the registry of the GUN in path (or of auth_gun, a GUN or a registry
        host). Raise TrustError saying whether the server is untrusted, unhealthy, unreachable or refused."""
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
        request = urllib.request.Request(url.rstrip('/') + path, data=body, method=method)
        if content_type:
            request.add_header('Content-Type', content_type)
        # /v2/<gun>/...: the credentials of the gun's registry, sent as Basic (the front takes them so)
        gun = auth_gun or (path[len('/v2/'):].partition('/_trust/')[0] if path.startswith('/v2/') else '')
        credentials = self.credentials(gun) if gun else None
        if credentials:
            request.add_header('Authorization', 'Basic ' + basic_credentials(credentials))
        try:
            with opener.open(request, timeout=15) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode('utf-8', 'replace').strip()
            if exc.code in (401, 403):
                raise TrustError(refusal(credentials, gun, 'the notary server %s answered HTTP %s for %s: %s'
                                         % (url, exc.code, path, body[:300])))
            if exc.code in (502, 504):
                # the front's own page: it got no answer from notary-server behind it
                raise TrustError('the notary server %s answered HTTP %s for %s: its front could not reach '
                                 'notary-server (down, restarting or overloaded)' % (url, exc.code, path))
            raise TrustError('the notary server %s answered HTTP %s for %s%s'
                             % (url, exc.code, path, ': ' + body[:500] if body else ''))
        except (urllib.error.URLError, ssl.SSLError, OSError) as exc:
            # an SSL error other than a certificate one (say, the server closed the connection) is "unreachable"
            text = str(getattr(exc, 'reason', None) or exc)
            if 'CERTIFICATE' in text.upper():
                raise TrustError('the notary server %s is not trusted: %s (put its CA at %s)' % (url, text, ca_file))
            raise TrustError('the notary server %s (%s) is unreachable: %s' % (url, hostport, text))

    def metadata(self, gun, role):
        """The signed part of a role's metadata (root, targets, targets/<name>...) on the server, or None
        when the server has none. Read as served, not verified: for reports (expiry) and key IDs."""
        try:
            return json.loads(self.get('/v2/%s/_trust/tuf/%s.json' % (gun, role)))['signed']
        except TrustError as exc:
            if 'HTTP 404' in str(exc):
                return None
            raise

    def repositories(self, registry, page=1000):
        """Every GUN with trust data on the server, from its changefeed (whose last change of a GUN is not
        a deletion), read with the credentials of registry (the front lets administrators read it)."""
        alive, change_id = {}, '0'
        while True:
            feed = json.loads(self.get('/v2/_trust/changefeed?change_id=%s&records=%d' % (change_id, page),
                                       auth_gun=registry))
            records = feed.get('records') or []
            for record in records:
                alive[record['GUN']] = record.get('Category') != 'deletion'
            if len(records) < page:
                return sorted(gun for gun, present in alive.items() if present)
            change_id = str(records[-1]['ID'])

    def check_readable(self, gun):
        """Raise the front's refusal when this user may not read gun's trust data; a 404 (none yet) is fine."""
        try:
            self.get('/v2/%s/_trust/tuf/root.json' % gun)
        except TrustError as exc:
            if 'HTTP 404' not in str(exc):
                raise

    def health_report(self):
        """One line on the notary server's health now, for an error message."""
        try:
            self.get('/_notary_server/health')
        except TrustError as exc:
            return 'now: %s' % exc
        return ("the notary server's health check passes now, but it notices a failed database or signer only after a "
                "while: a 500 or EOF from the server means one of them (or the server) failed, and it answers 400 "
                "(rejected operation) to an update it could not check against its database as well as to an invalid "
                "one; retry, or see the notary-server log")

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
            raise TrustError('the docker CLI got no fresh trust data for %s from the notary server and fell back to '
                             'its cache in %s/tuf/%s, though the server\'s health check passes: the server notices a '
                             'failed database only after a while (retry), or it was reset and has no trust data that '
                             'matches the cache (then remove that cache directory): %s'
                             % (repository, self.trust_dir, repository, last))
        if rc == 0:
            self._checked = True
            data = json.loads(out)
            if data:
                return data[0]
        message = (err or out).strip()
        lowered = message.lower()
        if rc != 0 and METADATA_EXPIRED_RE.search(message):
            # 'Metadata for targets expired', then "no signatures or cannot access": not a new repository
            said = sorted(set(LOG_LINE_RE.sub(r'\1', line.strip()) for line in message.splitlines()
                              if METADATA_EXPIRED_RE.search(line)))
            raise TrustError('the trust data of %s has expired, the docker CLI refuses it: %s (renew it with '
                             'dct.trust_stack.trust_renew)' % (repository, '; '.join(said)), expired=True)
        if rc == 0 or 'does not have trust data' in lowered or 'no signatures' in lowered or 'not signed' in lowered:
            # no trust data, or "No signatures or cannot access <repo>": the CLI says the same when it cannot
            # reach or trust the server, or the front does not let this user read the repository, so ask
            # the server (its health, then the repository's root as this user) before calling it new
            self.check_server()
            if rc != 0 and self.server_url():
                self.check_readable(repository)
            return None
        if is_refusal(message):
            raise TrustError(refusal(self.credentials(repository), repository, message))
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
        images = engine_images(self.config_dir, repository, self.timeout())
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

    def push(self, repository, tags, workers=4):
        """{tag: (hex digest, size)} of each repository:tag, pushed with `docker push` with content trust off (on,
        the push would sign it), up to workers pushes at once. TrustError naming the tags that failed, with the
        ones pushed in its result."""
        results = self.run_many([['push', '%s:%s' % (repository, tag)] for tag in tags], workers,
                                environ={'DOCKER_CONTENT_TRUST': '0'})
        done, failed = {}, []
        for tag, (rc, out, err) in zip(tags, results):
            if rc == 0:
                done[tag] = pushed(out, tag)
            else:
                failed.append((tag, explain_sign_failure((err or out).strip(), None, self, repository)))
        if failed:
            raise TrustError('docker push of %s failed (%d pushed, none signed): %s'
                             % (', '.join('%s:%s' % (repository, t) for t, dummy in failed), len(done), failed[0][1]),
                             changed=bool(done), actions=['push %s:%s' % (repository, t) for t in sorted(done)])
        return done


class NotaryCLI(ServerClient):
    """Runs the notary CLI on the docker trust directory (`notary -s <server> -d <config_dir>/trust`),
    with the CA the docker CLI uses; passphrases as NOTARY_<ROLE>_PASSPHRASE in its environment only."""

    cli_option = 'notary_cli'
    cli_default = 'notary'

    def __init__(self, module, passphrases, repository):
        super(NotaryCLI, self).__init__(module)
        if not self.server_url():
            raise TrustError('no notary server: set the option server (or DOCKER_CONTENT_TRUST_SERVER)')
        self.passphrases = passphrases
        self.repository = repository

    def environment(self):
        env = dict(('NOTARY_%s_PASSPHRASE' % role.upper(), value)
                   for role, value in self.passphrases.items() if value)
        # the notary CLI sends these (user:password, base64) as Basic credentials, and through the token flow
        credentials = self.credentials(self.repository)
        if credentials:
            env['NOTARY_AUTH'] = basic_credentials(credentials)
        return env

    def fail_on_refusal(self, rc, out, err, what):
        """Raise "not allowed for user X on repository Y" when the front refused the command."""
        if rc != 0 and is_refusal(err or out):
            who = self.credentials(self.repository)
            raise TrustError('%s failed: %s' % (what, refusal(who, self.repository, (err or out).strip())))

    def fail_on(self, rc, out, err, what):
        self.fail_on_refusal(rc, out, err, what)
        super(NotaryCLI, self).fail_on(rc, out, err, what)

    def command(self, args):
        # the CA the docker CLI would use, when there is one there; else the system's trusted CAs
        ca_file = self.ca_file()
        ca = ['--tlscacert', ca_file] if os.path.exists(ca_file) else []
        return [self.binary, '-s', self.server_url(), '-d', self.trust_dir] + ca + list(args)

    def root_metadata(self, gun):
        """The signed part of the repository's root.json on the server; TrustError when it has no trust data."""
        root = self.metadata(gun, 'root')
        if root is None:
            raise TrustError('%s has no trust data on %s yet: sign a tag first' % (gun, self.server_url()))
        return root

    def change(self, gun, steps, what, retries=0):
        """Stage each notary command of steps, then publish, tried again up to retries more times when the server
        refused it (_staging.publish); on a failure drop what was staged and raise. Return how many publishes were
        refused before the one that went through."""
        for args in steps:
            rc, out, err = self.run(args)
            if rc != 0:
                self.run(['reset', '--all', gun])
                self.fail_on(rc, out, err, '%s (notary %s)' % (what, ' '.join(args[:2])))
        return publish(self, gun, retries, what=what)


# what the docker CLI prints when the notary server or the registry failed on its side
# 'rejected operation' is the CLI's word for a 400, which notary-server 0.7 also answers when it cannot read
# its database while it checks an update (server/handlers/validation.go returns the storage error, and
# atomicUpdateHandler turns every validation error into 400 INVALID_UPDATE)
SERVER_FAILURE_SIGNS = ('unable to reach trust server', 'could not update: EOF', 'rpc error', 'trust server rejected operation')
CLI_NOISE_RE = re.compile(r'time="[^"]*" level=(warning|info|debug) ')
LOG_LINE_RE = re.compile(r'^time="[^"]*" level=\w+ msg="(.*)"$')
# what notary's TUF client says of expired metadata (not of an expired TLS certificate)
METADATA_EXPIRED_RE = re.compile(r'metadata for \S+ expired|\S+ expired at ', re.I)
REGISTRY_FAILURE_RE = re.compile(r'received unexpected HTTP status: (5\d\d[^\n]*)')


def explain_passphrase_failure(message):
    """Prefix a notary CLI failure that points at a passphrase with "wrong or missing passphrase?"."""
    lowered = message.lower()
    if 'passphrase' in lowered or 'decrypt' in lowered or 'could not find necessary signing keys' in lowered \
            or 'password' in lowered:
        return 'wrong or missing passphrase? %s' % message
    return message


def explain_sign_failure(message, role, server=None, repository=None):
    """Say what a failed `docker trust sign` most likely means. The docker CLI says 'could not find
    necessary signing keys' when a passphrase is wrong, and 'unexpected HTTP status: 500' when the
    registry could not store the image; a refusal by the front names the user and repository; for other
    server-side failures server (a ServerClient) adds what the notary server's health check says now."""
    # the CLI's own warnings (metadata fetch retries) drown the error; keep its errors and plain lines
    message = '\n'.join(line for line in message.splitlines() if not CLI_NOISE_RE.match(line))
    if server is not None and repository and is_refusal(message):
        return refusal(server.credentials(repository), repository, message)
    if 'could not find necessary signing keys' in message:
        return ('wrong repository_passphrase? The private key of %s is in the trust directory but the CLI could not '
                'use it: %s' % ('signer "%s"' % role if role else 'the signing role', message))
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
