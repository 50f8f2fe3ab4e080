# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CLIs the signing modules run: the notary CLI on the docker trust directory (<config_dir>/trust) against the
notary server of the option server, passphrases in its environment only, for every read and change of trust data
(what `docker trust` did, which docker CLI 29 no longer has); and the container CLI (docker or podman) that finds
local images and pushes them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.dct.trust_stack.plugins.module_utils._cli import (
    TIMED_OUT, find_cli, module_runner, run_many, timed)
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import (
    expired_lines, explain_sign_failure, fell_back_to_cache, inspect_failure, is_docker_cli, is_refusal, last_line,
    refusal)
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import engine_images, repo_digest
from ansible_collections.dct.trust_stack.plugins.module_utils._expiry import utc_now
from ansible_collections.dct.trust_stack.plugins.module_utils._notary_server import ServerClient
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import cached_metadata, inspect_data, pushed
from ansible_collections.dct.trust_stack.plugins.module_utils._registry import (
    basic_credentials, manifest_config, manifest_head, read_many, registry_ca)
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

    def run(self, args, environ=None, data=b''):
        """Run the CLI with args (and environ over its environment, data on its standard input: empty, so a prompt
        fails); return (rc, stdout, stderr)."""
        rc, out, err = module_runner(self.module)(timed(self.command(args), self.timeout()),
                                                  dict(self.environment(), **(environ or {})), data)
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


class ContainerCLI(CLIClient):
    """The container CLI of option docker_cli: docker (any version; `docker trust` is never run) or podman (or
    podman-docker's docker). It finds the local images of tags and pushes them, content trust off."""

    cli_option = 'docker_cli'
    cli_default = 'docker'

    def environment(self):
        return {'DOCKER_CONFIG': self.config_dir, 'DOCKER_CONTENT_TRUST': '0'}

    _is_docker = None

    def is_docker(self):
        """Whether the CLI is docker's own, not podman (nor podman-docker's docker, a script that runs podman): only
        `docker push` says what it pushed, and podman reads docker's login only when told where it is. Asked only
        when something is pushed, so a run that changes nothing runs no container CLI."""
        if self._is_docker is None:
            rc, out, dummy = self.run(['--version'])
            self._is_docker = rc == 0 and is_docker_cli(out)
        return self._is_docker

    def auth_args(self):
        """podman reads docker's credentials only when told where they are."""
        config = os.path.join(self.config_dir, 'config.json')
        return [] if self.is_docker() or not os.path.exists(config) else ['--authfile', config]

    def image_digests(self, repository, tags):
        """{tag: the digest the registry knows the local image repository:tag by, or None when never pushed}.

        Asks the Docker engine's API once for every image of the repository when the CLI would talk to a local unix
        socket (no process to start); else (podman, or another engine), or when a tag is not found that way (a name
        the engine spells differently), one `<cli> image inspect` of every tag, which fails for a tag not present."""
        # docker's engine API answers for docker (and for podman's docker-compatible socket); podman's own storage
        # only `podman image inspect` knows
        podman = os.path.basename(self.binary) == 'podman'
        images = None if podman else engine_images(self.config_dir, repository, self.timeout())
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
        rc, out, err = self.run(['image', 'inspect', '--format', '{{.Id}} {{json .RepoDigests}}'] + refs)
        lines = out.splitlines()
        if rc != 0 or len(lines) != len(refs):
            raise TrustError('image not present locally: %s' % (err or out).strip())
        found = [line.partition(' ') for line in lines]
        # podman (and podman-docker's docker) print an image ID without docker's "sha256:"
        if podman or not all(image_id.startswith('sha256:') for image_id, dummy, dummy2 in found):
            return self.pushed_images(repository, dict((tag, image_id) for tag, (image_id, dummy, dummy2) in zip(tags, found)))
        return dict((tag, repo_digest(json.loads(digests) or [], repository)) for tag, (dummy, dummy2, digests) in zip(tags, found))

    def pushed_images(self, repository, image_ids, workers=4):
        """{tag: the digest the registry serves repository:tag with when that is the local image (its config digest
        is the image's ID), else None}. podman's RepoDigests name the digest of the image as it was stored, not as
        it was pushed (a push may compress it anew), so only the registry tells."""
        ca_file = registry_ca(repository.partition('/')[0])
        credentials = self.credentials(repository)

        def one(tag):
            served = manifest_config(repository, tag, ca_file, credentials, self.timeout())
            image_id = image_ids[tag] if image_ids[tag].startswith('sha256:') else 'sha256:' + image_ids[tag]
            return tag, served[0].partition(':')[2] if served and served[2] == image_id else None
        return dict(read_many(one, image_ids, workers))

    def push(self, repository, tags, workers=4):
        """{tag: (hex digest, size)} of each repository:tag pushed, up to workers pushes at once: what `docker push`
        says it pushed, or (podman, which says nothing of it) what the registry serves for the tag after the push.
        TrustError naming the tags that failed, with the ones pushed in its result."""
        results = self.run_many([['push'] + self.auth_args() + ['%s:%s' % (repository, tag)] for tag in tags], workers)
        done, failed = {}, []
        for tag, (rc, out, err) in zip(tags, results):
            if rc == 0:
                done[tag] = pushed(out, tag) if self.is_docker() else self.served(repository, tag)
            else:
                failed.append((tag, explain_sign_failure((err or out).strip(), None, self, repository)))
        if failed:
            raise TrustError('%s push of %s failed (%d pushed, none signed): %s'
                             % (os.path.basename(self.binary), ', '.join('%s:%s' % (repository, t) for t, dummy in failed),
                                len(done), failed[0][1]),
                             changed=bool(done), actions=['push %s:%s' % (repository, t) for t in sorted(done)])
        return done

    def served(self, repository, tag):
        """(hex digest, size) the registry serves repository:tag with."""
        found = manifest_head(repository, tag, registry_ca(repository.partition('/')[0]), self.credentials(repository),
                              self.timeout())
        if not found:
            raise TrustError('the registry has no %s:%s after pushing it' % (repository, tag))
        return found[0].partition(':')[2], found[1]


class NotaryCLI(CLIClient):
    """Runs the notary CLI on the docker trust directory (`notary -s <server> -d <config_dir>/trust`), with the CA
    the docker CLI uses; passphrases as NOTARY_<ROLE>_PASSPHRASE and the registry login as NOTARY_AUTH, in its
    environment only. The same key files, roles and metadata cache as `docker trust`, so either reads and signs what
    the other made."""

    cli_option = 'notary_cli'
    cli_default = 'notary'

    def __init__(self, module, passphrases=None, repository=None):
        super(NotaryCLI, self).__init__(module)
        self.passphrases = passphrases or {}
        self.repository = repository

    def need_server(self):
        """TrustError unless a notary server is set (keys alone need none)."""
        if not self.server_url():
            raise TrustError('no notary server: set the option server (or DOCKER_CONTENT_TRUST_SERVER)')

    def environment(self):
        env = dict(('NOTARY_%s_PASSPHRASE' % role.upper(), value)
                   for role, value in self.passphrases.items() if value)
        # the notary CLI sends these (user:password, base64) as Basic credentials, and through the token flow
        credentials = self.credentials(self.repository) if self.repository else None
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
        if rc != 0:
            raise TrustError('%s failed: %s' % (what, last_line('%s\n%s' % (out, err))))

    def command(self, args):
        # the CA the docker CLI would use, when there is one there; else the system's trusted CAs
        ca_file = self.ca_file() if self.server_url() else None
        ca = ['--tlscacert', ca_file] if ca_file and os.path.exists(ca_file) else []
        server = ['-s', self.server_url()] if self.server_url() else []
        return [self.binary, '-c', self.empty_config()] + server + ['-d', self.trust_dir] + ca + list(args)

    def empty_config(self):
        """A notary client config with nothing in it, so that the user's ~/.notary/config.json (trust_client's, with
        its pins for verifying) does not apply: `docker trust` reads none either, and a new repository's root can
        match no pin. The trust directory, server and CA come from the command line."""
        path = os.path.join(self.module.tmpdir, 'dct-notary-config.json')
        if not os.path.exists(path):
            with open(path, 'w') as handle:
                handle.write('{}')
        return path

    def for_repository(self, repository):
        """This client for another repository (its registry's login), with the same passphrases."""
        if repository == self.repository:
            return self
        other = NotaryCLI(self.module, self.passphrases, repository)
        other._binary, other._server_checked = self._binary, self._server_checked
        return other

    # ------------------------------------------------------------ reading trust data

    def inspect(self, repository):
        """What `docker trust inspect` says of repository (Name, SignedTags, Signers, AdministrativeKeys), or None when
        it has no trust data yet.

        One `notary list`: notary's TUF client fetches every role from the server, verifies it (signatures,
        thresholds, versions, expiry, the root against the one cached before) and caches it in the trust directory.
        The data is then read from that cache, each file checked to be the one the verified snapshot names
        (_parsers.inspect_data): a role notary skipped is left out.

        The server is checked (reachable, healthy, its TLS verified with the CA) on first contact, when the trust
        directory has no cache for the repository yet, and whenever notary fails or falls back to its cache, to tell
        an unreachable server from a mismatched cache."""
        self.need_server()
        notary = self.for_repository(repository)
        if not os.path.isdir(os.path.join(self.trust_dir, 'tuf', repository)):
            notary.check_server()
        rc, out, err = notary.run(['list', repository])
        if rc == 0 and fell_back_to_cache(err):
            last = last_line(err, prefer='could not reach')
            try:
                notary.check_server()
            except TrustError as exc:
                raise TrustError('%s (the notary CLI fell back to cached trust data for %s: %s)' % (exc, repository, last))
            raise TrustError('the notary CLI got no fresh trust data for %s from the notary server and fell back to '
                             'its cache in %s/tuf/%s, though the server\'s health check passes: the server notices a '
                             'failed database only after a while (retry), or it was reset and has no trust data that '
                             'matches the cache (then remove that cache directory): %s'
                             % (repository, self.trust_dir, repository, last))
        if rc == 0:
            return inspect_data(repository, cached_metadata(self.trust_dir, repository), utc_now())
        message = '%s\n%s' % (out.strip(), err.strip())
        kind = inspect_failure(rc, message)
        if kind == 'expired':
            raise TrustError('the trust data of %s has expired, the notary CLI refuses it: %s (renew it with '
                             'dct.trust_stack.trust_renew)' % (repository, '; '.join(expired_lines(message))), expired=True)
        if kind == 'no_trust_data':
            # the server has none for it, or the front does not let this user read it: ask the server (its health,
            # then the repository's root as this user) before calling it new
            notary.check_server()
            notary.check_readable(repository)
            return None
        if kind == 'refused':
            raise TrustError(refusal(self.credentials(repository), repository, last_line(message)))
        if kind == 'untrusted':
            raise TrustError('the notary server for %s is not trusted: %s (install the stack CA under '
                             '%s/tls/<server host:port>/ca.crt)' % (repository, last_line(message), self.config_dir))
        if kind == 'unreachable':
            raise TrustError('the notary server for %s is unreachable: %s' % (repository, last_line(message)))
        raise TrustError('notary list %s failed: %s [%s]' % (repository, last_line(message), notary.health_report()))

    def root_metadata(self, gun):
        """The signed part of the repository's root.json on the server; TrustError when it has no trust data."""
        root = self.metadata(gun, 'root')
        if root is None:
            raise TrustError('%s has no trust data on %s yet: sign a tag first' % (gun, self.server_url()))
        return root

    # ------------------------------------------------------------ changing trust data

    def change(self, gun, steps, what, retries=0):
        """Stage each notary command of steps, then publish, tried again up to retries more times when the server
        refused it (_staging.publish); on a failure drop what was staged and raise. Return how many publishes were
        refused before the one that went through."""
        self.need_server()
        self.run(['reset', '--all', gun])  # what an interrupted run staged is not ours to publish
        for args in steps:
            rc, out, err = self.run(args)
            if rc != 0:
                self.run(['reset', '--all', gun])
                self.fail_on(rc, out, err, '%s (notary %s)' % (what, ' '.join(args[:2])))
        return publish(self, gun, retries, what=what)

    def initialize(self, gun, steps=()):
        """Make gun's trust data as `docker trust` does: the first root key of the trust directory (or a new one), a
        new targets key, and the snapshot key managed by the server; steps (notary commands, the first signer's
        delegations) are staged into the same first publish. notary init keeps the snapshot key here, so it is then
        handed to the server (`notary key rotate -r`, which publishes)."""
        self.run(['reset', '--all', gun])
        for args in [['init', gun]] + list(steps) + [['publish', gun]]:
            rc, out, err = self.run(args)
            if rc != 0:
                self.run(['reset', '--all', gun])
                self.fail_on(rc, out, err, 'initializing %s (notary %s)' % (gun, ' '.join(args[:2])))
        rc, out, err = self.run(['key', 'rotate', gun, 'snapshot', '--server-managed'])
        self.fail_on(rc, out, err, 'initializing %s: handing its snapshot key to the server (notary key rotate)' % gun)

    def generate_key(self, role):
        """A new ECDSA key of role (a signer's name) in the trust directory, encrypted with the delegation passphrase,
        as `docker trust key generate` makes it; return its key ID."""
        rc, out, err = self.run(['key', 'generate', 'ecdsa', '--role', role])
        self.fail_on(rc, out, err, 'generating a key for %s (notary key generate)' % role)
        return out.strip().rpartition(' ')[2]

    def import_key(self, role, pem):
        """Put the private key pem (bytes, not encrypted) into the trust directory as role's key, encrypted with the
        delegation passphrase, as `docker trust key load` does. The key reaches notary on its standard input, never in
        a file or on its command line."""
        rc, out, err = self.run(['key', 'import', '/dev/stdin', '--role', role], data=pem)
        self.fail_on(rc, out, err, 'loading the key of %s (notary key import)' % role)
