# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The signature mirror's storage: containers-image "simple signing" signatures in a lookaside directory, laid out as
containers-registries.d(5) and docs/signature-protocols.md say clients read them, <lookaside>/<repository path>@
sha256=<hex>/signature-1, and written by skopeo (containers/image with GPG), never by this collection's own code.

One writer per format: SimpleSigningWriter here. A sigstore writer (cosign's format, sha256-<hex>.sig beside the
image in the registry) would be a second class with the same three methods, added where a verifier for it exists."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import tempfile

from ansible_collections.dct.trust_stack.plugins.module_utils._cli import TIMED_OUT, run_many, timed
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import is_bad_passphrase

SIGNATURE = 'signature-1'
# the fingerprint of the key the lookaside's signatures were made with: another key (a new or restored one) makes
# every signature there one to make again
KEY_MARKER = '.dct-mirror-key'
# signatures made at once: gpg-agent signs each; RSA signing is CPU-bound, so more than the cores gain nothing
WORKERS = 4


def repository_path(gun):
    """The path of a repository below the lookaside: its name without the registry host."""
    return gun.partition('/')[2]


class SimpleSigningWriter(object):
    """Signatures of digests of repositories in the lookaside directory base, made by skopeo standalone-sign with the
    GPG key fingerprint of the keyring gpg_home, its passphrase in a 0600 file of a private temporary directory."""

    def __init__(self, module, base, skopeo, gpg_home, fingerprint, passphrase):
        self.module = module
        self.base = base
        self.skopeo = skopeo
        self.gpg_home = gpg_home
        self.fingerprint = fingerprint
        self.passphrase = passphrase

    def _directory(self, gun, digest):
        return os.path.join(self.base, repository_path(gun) + '@' + digest.replace(':', '='))

    def key_changed(self):
        """Whether the lookaside's signatures were made with another key than this writer's (or with none yet)."""
        try:
            with open(os.path.join(self.base, KEY_MARKER)) as handle:
                return handle.read().strip() != self.fingerprint
        except (IOError, OSError):
            return True

    def mark_key(self):
        """Record this writer's key as the one the lookaside's signatures are made with."""
        with open(os.path.join(self.base, '.' + KEY_MARKER), 'w') as handle:
            handle.write(self.fingerprint + '\n')
        os.chmod(os.path.join(self.base, '.' + KEY_MARKER), 0o644)
        os.replace(os.path.join(self.base, '.' + KEY_MARKER), os.path.join(self.base, KEY_MARKER))

    def present(self, gun):
        """The digests ('sha256:<hex>') gun has a signature of in the lookaside."""
        parent = os.path.join(self.base, os.path.dirname(repository_path(gun)))
        name = os.path.basename(repository_path(gun)) + '@sha256='
        if not os.path.isdir(parent):
            return set()
        return set('sha256:' + entry[len(name):] for entry in os.listdir(parent)
                   if entry.startswith(name) and os.path.isfile(os.path.join(parent, entry, SIGNATURE)))

    def sign(self, items, timeout):
        """The signatures of items ([(gun, digest, manifest bytes)]), made by skopeo, WORKERS at a time (gpg-agent
        signs for each); nothing is stored yet, so a run whose signing fails (a wrong passphrase) writes nothing."""
        work = tempfile.mkdtemp(prefix='dct-mirror-', dir=self.module.tmpdir)
        try:
            passphrase_file = os.path.join(work, 'passphrase')
            with os.fdopen(os.open(passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w') as handle:
                handle.write(self.passphrase)
            argv_list = []
            for number, (gun, digest, manifest) in enumerate(items):
                manifest_file = os.path.join(work, '%d.manifest' % number)
                with open(manifest_file, 'wb') as handle:
                    handle.write(manifest)
                argv_list.append(timed([self.skopeo, 'standalone-sign', '--passphrase-file', passphrase_file,
                                        manifest_file, gun, self.fingerprint, '--output',
                                        os.path.join(work, '%d.signature' % number)], timeout))
            signatures = []
            for number, (rc, out, err) in enumerate(run_many(argv_list, {'GNUPGHOME': self.gpg_home}, timeout + 5, WORKERS)):
                gun, digest = items[number][:2]
                if rc != 0:
                    text = 'no answer within %s s' % timeout if rc == TIMED_OUT else (err or out).strip()
                    why = ('wrong key_passphrase: the mirror key did not open' if is_bad_passphrase(text)
                           else 'is key %s in %s?' % (self.fingerprint, self.gpg_home))
                    raise TrustError('%s@%s: skopeo standalone-sign failed (%s): %s' % (gun, digest, why, text))
                with open(os.path.join(work, '%d.signature' % number), 'rb') as handle:
                    signatures.append(handle.read())
            return signatures
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def store(self, gun, digest, signature):
        """Store signature as gun@digest's, readable by everyone (the front serves it as it is; a signature is
        public, and worth nothing without the mirror key's approval); a reader sees the whole file or none."""
        target = self._directory(gun, digest)
        os.makedirs(target, mode=0o755, exist_ok=True)
        partial = os.path.join(target, '.' + SIGNATURE)
        with open(partial, 'wb') as handle:
            handle.write(signature)
        os.chmod(partial, 0o644)
        os.replace(partial, os.path.join(target, SIGNATURE))

    def remove(self, gun, digest):
        shutil.rmtree(self._directory(gun, digest), ignore_errors=True)
