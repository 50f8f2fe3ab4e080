# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verifier's cache of one repository, guarded around a `notary list`: a verification that fails leaves the
cache as it was, and one that succeeds may not have moved backwards or lost a delegation.

notary's TUF client (client/tufclient.go) verifies the signatures; three things it leaves open, which a server that
holds the timestamp key and the snapshot key (notary-server holds both for repositories docker made) can use:
- it writes each file to its cache as soon as that file verifies (tryLoadRemote), before the rest has: after an
  attack that fails at targets, the server's timestamp and snapshot stay in the cache, and the client refuses the
  real metadata afterwards as older, until the cache is removed. restore() puts the files back;
- it checks a new file's version against the cached one only when the cached file fits the size the new snapshot
  gives (tryLoadCacheThenRemote reads the cache with that size): a snapshot that names an older, smaller targets or
  delegation file rolls a client with a cache back without a word. check() compares the versions;
- it skips a delegation the snapshot does not list (downloadTargets) and takes the tag from another role. check()
  refuses a delegation that the snapshot verified before listed and the new one drops while its parent still
  delegates to it. (A delegation that never had metadata is legitimately absent from the snapshot: only a cache
  can tell the two apart.)
Nothing here checks a signature: the files compared are the ones notary verified."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import (
    TARGETS, consistent, metadata_dir, metadata_files, parse_metadata)

TOP_LEVEL = ('root', 'timestamp', 'snapshot', TARGETS)


def verified(files):
    """{role: its signed part} of the cached files ({role: bytes}) that belong together: root, the timestamp, the
    snapshot the timestamp names and each targets file the snapshot names (by their sha256)."""
    metadata = parse_metadata(files)
    found = {}
    for role in ('root', 'timestamp'):
        if role in metadata:
            found[role] = metadata[role][1].get('signed') or {}
    snapshot = consistent(metadata, 'snapshot', 'timestamp')
    if snapshot is not None:
        found['snapshot'] = snapshot
        for role in metadata:
            if role == TARGETS or role.startswith(TARGETS + '/'):
                document = consistent(metadata, role, 'snapshot')
                if document is not None:
                    found[role] = document
    return found


def delegation(documents, role):
    """The entry of role in its parent's delegations (None: the parent does not delegate to it, or is not there)."""
    parent = documents.get(role.rpartition('/')[0]) or {}
    for entry in (parent.get('delegations') or {}).get('roles') or []:
        if entry.get('name') == role:
            return entry
    return None


class CacheGuard(object):
    """The cached metadata of gun in cache_dir as it was before a verification."""

    def __init__(self, cache_dir, gun):
        self.gun = gun
        self.base = metadata_dir(cache_dir, gun)
        self.before = metadata_files(cache_dir, gun)
        self.cache_dir = cache_dir

    def restore(self):
        """Put the cache of gun back as it was."""
        if os.path.isdir(self.base):
            shutil.rmtree(self.base)
        for role, data in self.before.items():
            path = os.path.join(self.base, *(role + '.json').split('/'))
            if not os.path.isdir(os.path.dirname(path)):
                os.makedirs(os.path.dirname(path), 0o700)  # the cache of one repository: no other verification makes it
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, 'wb') as handle:
                handle.write(data)

    def check(self):
        """TrustError when a role notary verified now is older than the one it verified before (a rollback), or a
        delegation the snapshot listed before is gone from it while its parent still delegates to it."""
        old, new = verified(self.before), verified(metadata_files(self.cache_dir, self.gun))
        for role in list(TOP_LEVEL) + sorted(r for r in old if r not in TOP_LEVEL):
            if role not in old or role not in new:
                continue
            if role not in TOP_LEVEL and (delegation(old, role) or {}).get('keyids') != (delegation(new, role) or {}).get('keyids'):
                continue  # a delegation whose keys changed is another delegation; its versions are its own
            if (new[role].get('version') or 0) < (old[role].get('version') or 0):
                raise TrustError('%s: rollback: the server\'s %s is version %s, older than version %s that this client '
                                 'verified before (cache %s)' % (self.gun, role, new[role].get('version'),
                                                                 old[role].get('version'), self.base))
        if 'snapshot' not in new:
            return
        listed_now = new['snapshot'].get('meta') or {}
        for role in sorted((old.get('snapshot') or {}).get('meta') or {}):
            if role.startswith(TARGETS + '/') and role not in listed_now and delegation(new, role) is not None:
                raise TrustError('%s: delegation removed: %s still delegates to %s, but the server\'s snapshot no longer '
                                 'lists it (the one this client verified before did): notary would skip the delegation '
                                 'and take the tag from another role' % (self.gun, role.rpartition('/')[0], role))
