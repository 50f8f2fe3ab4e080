# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batch signing: the roles `docker trust sign` would put a tag into, and staging many tags with the notary CLI for
one publish, retried when another signer published first."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import random
import time

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import local_key_ids
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import is_publish_conflict, last_line
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import metadata_dir


def cached_targets(trust_dir, gun):
    """The signed part of the targets.json the docker CLI verified and cached for gun, or None when there is none."""
    try:
        with open(os.path.join(metadata_dir(trust_dir, gun), 'targets.json')) as handle:
            return json.load(handle)['signed']
    except (IOError, OSError, ValueError, KeyError):
        return None


def path_allows(role, tag):
    """Whether a delegation's paths let it sign tag (notary: a path is a prefix; "" allows every tag)."""
    return any(tag.startswith(prefix) for prefix in role.get('paths') or [])


def signable_roles(targets_signed, trust_dir, tags):
    """{tag: the roles `docker trust sign` adds it to} (docker/cli GetSignableRoles): targets when the repository has
    no delegations; else every direct child of targets one of whose keys is in trust_dir and whose paths allow the tag."""
    delegations = (targets_signed or {}).get('delegations') or {}
    roles = delegations.get('roles') or []
    if not roles:
        return dict((tag, ['targets']) for tag in tags)
    keys = delegations.get('keys') or {}
    held = [role for role in roles
            if role['name'].count('/') == 1 and local_key_ids(keys, role.get('keyids') or [], trust_dir)]
    return dict((tag, sorted(role['name'] for role in held if path_allows(role, tag))) for tag in tags)


def stage_and_publish(notary, gun, targets, retries, sleep=time.sleep, workers=4):
    """Stage every target ({tag: (hex digest, size, [roles])}) with `notary addhash` (workers at once), then publish
    once; a publish the server refused because another signer published first is tried again (the notary client
    keeps the staged changes and applies them to the newest metadata), up to retries more times with a random,
    growing pause.
    Return how many publishes were refused before the one that went through. On failure nothing staged is left
    behind and TrustError says what the CLI said."""
    notary.run(['reset', '--all', gun])  # what an interrupted run staged is not ours to publish
    tags = sorted(targets)
    staging = []
    for tag in tags:  # each addhash writes its own changelist file (named by time and a random ID)
        digest, size, roles = targets[tag]
        staging.append(['addhash', gun, tag, str(size), '--sha256', digest]
                       + [arg for role in roles if role != 'targets' for arg in ('-r', role)])
    for tag, (rc, out, err) in zip(tags, notary.run_many(staging, workers)):
        if rc != 0:
            notary.run(['reset', '--all', gun])
            notary.fail_on(rc, out, err, 'staging %s:%s (notary addhash)' % (gun, tag))
    return publish(notary, gun, retries, sleep)


def publish(notary, gun, retries, sleep=time.sleep, what=None):
    """Publish what is staged for gun. A publish the server refused because another signer published first, or
    because it could not write (a deadlock, or the database node behind it went away: a writer change on a Galera
    cluster, or a front whose notary-server was lost) is tried again on the newest metadata (the notary client keeps
    the staged changes) up to retries more times, after a random, growing pause.
    Return how many publishes were refused before the one that went through. On failure nothing staged is left
    behind and TrustError says what the CLI said, after what when it is given."""
    label = '%s (notary publish %s)' % (what, gun) if what else 'notary publish'
    refused = 0
    while True:
        rc, out, err = notary.run(['publish', gun])
        if rc == 0:
            return refused
        message = (err or out).strip()
        conflict = is_publish_conflict(message)
        if refused >= retries or not conflict:
            notary.run(['reset', '--all', gun])
            notary.fail_on_refusal(rc, out, err, label)
            if conflict:
                raise TrustError('%s was refused %d times (each time another signer published first, or the '
                                 'server could not update its database; raise publish_retries for the first): %s'
                                 % (label, refused + 1, last_line(message)))
            if what:
                notary.fail_on(rc, out, err, label)
            raise TrustError('notary publish failed: %s' % last_line(message))
        refused += 1
        sleep(random.uniform(0.1, 0.4) * refused)
