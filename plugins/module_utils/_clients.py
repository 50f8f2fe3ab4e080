# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The docker and notary CLIs as the signing modules run them: on the docker trust directory
(<config_dir>/trust), against the notary server of the option server, passphrases in their environment only."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.dct.trust_stack.plugins.module_utils._cli import (
    TIMED_OUT, find_cli, module_runner, run_many, timed)
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import (
    expired_lines, explain_sign_failure, fell_back_to_cache, inspect_failure, is_refusal, refusal)
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import engine_images, repo_digest
from ansible_collections.dct.trust_stack.plugins.module_utils._notary_server import ServerClient
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import pushed
from ansible_collections.dct.trust_stack.plugins.module_utils._registry import basic_credentials
from ansible_collections.dct.trust_stack.plugins.module_utils._staging import publish


class CLIClient(ServerClient):
    """A CLI run for a module (_cli.py: a time limit, no stdin, secrets in its environment only)."""

    cli_option = None      # the module option naming the binary
    cli_default = None

    def __init__(self, module):
        super(CLIClient, self).__init__(module)
        self._binary = None

    @property
    def binary(self):
        """The CLI's path, looked up when first needed (reading metadata over HTTPS needs no CLI)."""
        if self._binary is None:
            self._binary = find_cli(self.module, self.params.get(self.cli_option) or self.cli_default, self.cli_option)
        return self._binary

    def environment(self):
        raise NotImplementedError

    def command(self, args):
        return [self.binary] + list(args)

    def run(self, args, environ=None):
        """Run the CLI with args (and environ over its environment); return (rc, stdout, stderr)."""
        rc, out, err = module_runner(self.module)(timed(self.command(args), self.timeout()),
                                                  dict(self.environment(), **(environ or {})))
        if rc == TIMED_OUT:
            raise self.timed_out(args)
        return rc, out, err

    def run_many(self, arg_lists, workers=4, environ=None):
        """Run the CLI once per args in arg_lists, workers at a time; return their (rc, stdout, stderr) in order."""
        results = run_many([self.command(args) for args in arg_lists], dict(self.environment(), **(environ or {})),
                           self.timeout(), workers)
        for args, (rc, dummy, dummy2) in zip(arg_lists, results):
            if rc == TIMED_OUT:
                raise self.timed_out(args)
        return results

    def timed_out(self, args):
        return TrustError('%s %s timed out after %s s (option timeout)' % (self.binary, ' '.join(args), self.timeout()))

    def fail_on(self, rc, out, err, what):
        if rc != 0:
            raise TrustError('%s failed: %s' % (what, (err or out).strip()))


class TrustCLI(CLIClient):
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
        if fell_back_to_cache(err):
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
        kind = inspect_failure(rc, message)
        if kind == 'expired':
            # 'Metadata for targets expired', then "no signatures or cannot access": not a new repository
            raise TrustError('the trust data of %s has expired, the docker CLI refuses it: %s (renew it with '
                             'dct.trust_stack.trust_renew)' % (repository, '; '.join(expired_lines(message))), expired=True)
        if kind == 'no_trust_data':
            # no trust data, or "No signatures or cannot access <repo>": the CLI says the same when it cannot
            # reach or trust the server, or the front does not let this user read the repository, so ask
            # the server (its health, then the repository's root as this user) before calling it new
            self.check_server()
            if rc != 0 and self.server_url():
                self.check_readable(repository)
            return None
        if kind == 'refused':
            raise TrustError(refusal(self.credentials(repository), repository, message))
        if kind == 'no_trust_command':
            raise self.no_trust_command(message)
        if kind == 'untrusted':
            raise TrustError('the notary server for %s is not trusted: %s (install the stack CA under '
                             '%s/tls/<server host:port>/ca.crt)' % (repository, message, self.config_dir))
        if kind == 'unreachable':
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


class NotaryCLI(CLIClient):
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
