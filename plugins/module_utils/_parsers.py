# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading what the CLIs print when they succeed: `docker trust inspect` JSON, `notary list` tables and the last
line of `docker push`."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii
import hashlib
import json
import os
import re

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError

# a SHA-256 in hex: a TUF key ID, or a digest without its "sha256:"
HEX64_RE = re.compile(r'^[0-9a-f]{64}$')
# the last line of `docker push` (20.10 and 28): "<tag>: digest: sha256:<hex> size: <bytes>"
PUSHED_RE = re.compile(r'^(?P<tag>\S+): digest: sha256:(?P<hex>[0-9a-f]{64}) size: (?P<size>\d+)\s*$', re.M)


def signer_keys(data):
    """{signer name: sorted key IDs} from `docker trust inspect` data (None: no trust data)."""
    if not data:
        return {}
    return dict((s['Name'], sorted(k['ID'] for k in s.get('Keys') or [])) for s in data.get('Signers') or [])


def signed_tags(data):
    """{tag: {'digest': ..., 'signers': [...]}} from `docker trust inspect` data."""
    if not data:
        return {}
    return dict((t['SignedTag'], {'digest': t['Digest'], 'signers': sorted(t.get('Signers') or [])})
                for t in data.get('SignedTags') or [])


def parse_list(out):
    """{tag: (hex digest, size, role)} from `notary list` output (a NAME DIGEST SIZE ROLE table)."""
    found = {}
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 4 and HEX64_RE.match(fields[1]) and fields[2].isdigit():
            found[fields[0]] = (fields[1], int(fields[2]), fields[3])
    return found


def pushed(output, tag):
    """(hex digest, size) that `docker push` output says tag was pushed with; TrustError when it says nothing."""
    for match in PUSHED_RE.finditer(output or ''):
        if match.group('tag') == tag:
            return match.group('hex'), int(match.group('size'))
    raise TrustError('docker push of tag %s did not say which digest it pushed: %s' % (tag, (output or '').strip()[-300:]))


RELEASES = 'targets/releases'
TARGETS = 'targets'
# docker/cli: the name it shows for a tag that only targets or targets/releases signed
REPO_ADMIN = 'Repo Admin'


def sha256_hex(meta):
    """The sha256 of a TUF file or target meta entry (base64 in notary's JSON) in hex; '' when it has none."""
    try:
        return binascii.hexlify(base64.b64decode((meta.get('hashes') or {}).get('sha256') or '')).decode('ascii')
    except (ValueError, TypeError):
        return ''


def consistent(metadata, role, parent_role, keyids=None, threshold=1, now=None):
    """The signed part of role's cached metadata when notary would accept it now, else None.

    notary caches a file only after verifying its signatures, so the cache holds files notary once accepted. One is
    still what notary accepts when it is the file the verified parent names (its sha256 in the parent's meta; a file
    another version left behind is not), it has not expired, and (keyids given: the role's current keys) at least
    threshold of its signatures are by the role's current keys: a role whose keys were removed or replaced since the
    file was signed is no longer signed (notary skips it; so does docker trust inspect)."""
    if role not in metadata or parent_role not in metadata:
        return None
    digest, document = metadata[role]
    if keyids is not None:
        signers = set(sig.get('keyid') for sig in document.get('signatures') or [])
        if threshold < 1 or len(signers & set(keyids)) < threshold:
            return None
    expires = (document.get('signed') or {}).get('expires')
    if now is not None and expires:
        from ansible_collections.dct.trust_stack.plugins.module_utils._expiry import parse_time
        try:
            if parse_time(expires) <= now:
                return None
        except TrustError:
            return None
    listed = ((metadata[parent_role][1].get('signed') or {}).get('meta') or {}).get(role) or {}
    if (listed.get('hashes') or {}).get('sha256') is not None:
        if sha256_hex(listed) != digest:
            return None
    elif listed.get('version') != (document.get('signed') or {}).get('version'):
        return None
    return document.get('signed') or {}


def metadata_dir(trust_dir, gun):
    """Where notary caches gun's metadata in trust_dir (a docker trust directory, or a verifier's cache_dir)."""
    return os.path.join(trust_dir, 'tuf', gun, 'metadata')


def metadata_files(trust_dir, gun):
    """{role: the file's bytes} of every metadata file notary cached for gun in trust_dir."""
    base = metadata_dir(trust_dir, gun)
    found = {}
    for top, dummy, files in os.walk(base):
        for name in files:
            if name.endswith('.json'):
                path = os.path.join(top, name)
                with open(path, 'rb') as handle:
                    found[os.path.relpath(path, base)[:-len('.json')].replace(os.sep, '/')] = handle.read()
    return found


def parse_metadata(files):
    """{role: (sha256 hex of the file, its JSON)} of files ({role: bytes}); a file that is not JSON is left out."""
    found = {}
    for role, raw in files.items():
        try:
            found[role] = (hashlib.sha256(raw).hexdigest(), json.loads(raw.decode('utf-8')))
        except ValueError:
            continue
    return found


def cached_metadata(trust_dir, gun):
    """{role: (sha256 hex of the file, its JSON)} of every metadata file notary verified and cached for gun in
    trust_dir (a docker trust directory, or a verifier's cache_dir)."""
    return parse_metadata(metadata_files(trust_dir, gun))


def inspect_data(gun, metadata, now=None):
    """What `docker trust inspect` prints for gun (docker/cli's cli/command/trust inspect.go and common.go), from the
    metadata notary verified and cached ({role: (sha256 hex of the file, its JSON)}), or None when there is none.

    SignedTags: each tag signed in targets or targets/releases with its digest, and as signers every other direct
    delegation of targets that signed the same digest (none: "Repo Admin"). Signers: each direct delegation but
    releases, with its key IDs. AdministrativeKeys: the root and targets ("Repository") key IDs of root.json."""
    if 'root' not in metadata or 'targets' not in metadata:
        return None
    root = metadata['root'][1].get('signed') or {}
    snapshot = consistent(metadata, 'snapshot', 'timestamp')
    if snapshot is None:
        return None
    targets_role = (root.get('roles') or {}).get(TARGETS) or {}
    targets = consistent(metadata, TARGETS, 'snapshot', targets_role.get('keyids') or [], targets_role.get('threshold', 1),
                         now) or {}
    delegations = [role for role in ((targets.get('delegations') or {}).get('roles') or [])
                   if role.get('name', '').count('/') == 1]
    signed = {TARGETS: targets.get('targets') or {}}
    for role in delegations:
        document = consistent(metadata, role['name'], 'snapshot', role.get('keyids') or [], role.get('threshold', 1), now)
        if document is not None:
            signed[role['name']] = dict((tag, meta) for tag, meta in (document.get('targets') or {}).items()
                                        if any(tag.startswith(prefix) for prefix in role.get('paths') or []))

    released = {}
    for role in (TARGETS, RELEASES):
        for tag, meta in (signed.get(role) or {}).items():
            released.setdefault((tag, sha256_hex(meta)), [])
    for role, tags in signed.items():
        if role in (TARGETS, RELEASES):
            continue
        for tag, meta in tags.items():
            key = (tag, sha256_hex(meta))
            if key in released:
                released[key].append(role[len('targets/'):])
    roles = root.get('roles') or {}
    return dict(
        Name=gun,
        SignedTags=[dict(SignedTag=tag, Digest=hex_digest, Signers=sorted(signers) or [REPO_ADMIN])
                    for (tag, hex_digest), signers in sorted(released.items())],
        Signers=[dict(Name=role['name'][len('targets/'):], Keys=[dict(ID=key) for key in role.get('keyids') or []])
                 for role in sorted(delegations, key=lambda r: r['name'], reverse=True) if role['name'] != RELEASES],
        AdministrativeKeys=[dict(Name=name, Keys=[dict(ID=key) for key in (roles.get(role) or {}).get('keyids') or []])
                            for name, role in (('Root', 'root'), ('Repository', 'targets'))],
    )
