# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading what the CLIs print when they succeed: `docker trust inspect` JSON, `notary list` tables and the last
line of `docker push`."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

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
