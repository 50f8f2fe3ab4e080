# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit's verdicts: what each running container runs, against the trust data as a pinned verifier sees it
now, and against what earlier audits saw signed (the history)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import cached_metadata, inspect_data
from ansible_collections.dct.trust_stack.plugins.module_utils._references import image_registry

# every verdict, the best first: a container with several repository digests gets the best one
VERDICTS = ('signed', 'revoked', 'unsigned', 'no_trust_data', 'unverifiable', 'outside')
# the order of a report: what needs looking at first
REPORT_ORDER = ('revoked', 'unsigned', 'unverifiable', 'no_trust_data', 'outside', 'signed')
WORDS = {
    'signed': 'signed',
    'revoked': 'signed earlier, revoked or moved since',
    'unsigned': 'unsigned',
    'no_trust_data': 'no trust data',
    'unverifiable': 'cannot verify',
    'outside': 'registry outside the stack',
}


class RepositoryTrust(object):
    """What a repository has signed now, read once per run however many containers run it: {digest: {'tags',
    'signers'}}, or why not (no trust data, or why it cannot be verified)."""

    def __init__(self, verifier, signer=None):
        self.verifier = verifier
        self.signer = signer
        self.seen = {}

    def of(self, gun):
        if gun not in self.seen:
            self.seen[gun] = self._read(gun)
        return self.seen[gun]

    def _read(self, gun):
        try:
            signed = self.verifier.signed(gun, self.signer)
        except TrustError as exc:
            return dict(verdict='no_trust_data' if exc.status == 404 else 'unverifiable', reason=str(exc))
        # who signed each digest: the delegations that signed the same tag and digest, in notary's verified cache
        data = inspect_data(gun, cached_metadata(self.verifier.settings['cache_dir'], gun)) or {}
        signers = {}
        for entry in data.get('SignedTags') or []:
            signers.setdefault('sha256:' + entry['Digest'], set()).update(entry['Signers'])
        digests = {}
        for tag, digest in sorted(signed.items()):
            entry = digests.setdefault(digest, dict(tags=[], signers=sorted(signers.get(digest) or [])))
            entry['tags'].append(tag)
        return dict(signed=digests)


def candidates(container, registries):
    """[(repository, digest)] of the stack's registries the container's image goes by, its own reference's first;
    and the (registry, repository, tag) of that reference (None for an image ID)."""
    reference = image_registry(container.get('image'))
    found = []
    for entry in container.get('repo_digests') or []:
        repository, dummy, digest = entry.partition('@')
        named = image_registry(repository)
        if named and named[0] in registries and digest.startswith('sha256:'):
            found.append((named[1], digest))
    own = reference[1] if reference else None
    found.sort(key=lambda item: item[0] != own)
    return found, reference


def verdict(container, registries, trust, history):
    """The container's verdict: {verdict, reason, repository, digest, tags, signers}."""
    found, reference = candidates(container, registries)
    if not found:
        if reference and reference[0] in registries:
            return dict(verdict='unsigned', repository=reference[1], digest=None, tags=[], signers=[],
                        reason='the image has no digest from the registry (a local build, or an image never pulled or '
                               'pushed): no signature can name it')
        return dict(verdict='outside', repository=reference[1] if reference else None, digest=None, tags=[], signers=[],
                    reason='its registry (%s) is not one of the stack\'s (%s)'
                           % (reference[0] if reference else 'an image ID with no repository', ', '.join(registries)))
    judged = []
    for repository, digest in found:
        now = trust.of(repository)
        base = dict(repository=repository, digest=digest, tags=[], signers=[])
        if 'signed' not in now:
            judged.append(dict(base, verdict=now['verdict'], reason=now['reason']))
        elif digest in now['signed']:
            judged.append(dict(base, verdict='signed', tags=now['signed'][digest]['tags'],
                               signers=now['signed'][digest]['signers'],
                               reason='signed under %s' % ', '.join(now['signed'][digest]['tags'])))
        elif digest in (history.get(repository) or {}):
            earlier = history[repository][digest]
            judged.append(dict(base, verdict='revoked', tags=earlier['tags'],
                               reason='signed under %s when first seen at %s; signed under no tag now'
                                      % (', '.join(earlier['tags']), earlier['first_seen'])))
        else:
            judged.append(dict(base, verdict='unsigned',
                               reason='the repository has trust data, but no tag is signed with this digest'))
    return sorted(judged, key=lambda j: VERDICTS.index(j['verdict']))[0]


def read_history(path):
    """{repository: {digest: {'tags', 'first_seen'}}} of what earlier audits saw signed; {} without one."""
    if not path or not os.path.exists(path):
        return {}
    try:
        with open(path) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError) as exc:
        raise TrustError('history %s cannot be read (%s): move it away to start a new one' % (path, exc))


def updated_history(history, trust, now):
    """history with every digest signed now added (with its tags), or None when it has nothing new."""
    new = json.loads(json.dumps(history))
    for gun, found in sorted(trust.seen.items()):
        for digest, entry in sorted((found.get('signed') or {}).items()):
            known = new.setdefault(gun, {}).setdefault(digest, dict(tags=[], first_seen=now))
            known['tags'] = sorted(set(known['tags']) | set(entry['tags']))
    return new if new != history else None
