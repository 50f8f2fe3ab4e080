# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Re-signing a role whose metadata notary's own client can no longer touch.

Once a repository's top-level targets (or a snapshot the client signs) has expired, the notary client
refuses to update the repository, and it updates before every publish, so `notary witness` + `notary
publish` cannot renew it (client/tufclient.go downloadTargets: an expired delegation is set aside to be
witnessed, an expired targets is fatal; notary #1662). What renews it is what the owner would have done:
the same metadata with version + 1 and a new expiry, signed with the same key, uploaded to the server,
which checks it as it checks any upload (signatures against root.json, versions, the snapshot's hashes)
and then makes a new snapshot (when it manages the snapshot) and timestamp. This file is that re-signing
and nothing else; everything else goes through the notary CLI.

Signatures are notary's: ECDSA over the canonical JSON of "signed" (keys sorted, no spaces), r || s.
The file is what notary's Go structs marshal ("signed", then "signatures" with keyid, method, sig): the
server parses and marshals it again when it hashes it for a snapshot or timestamp, so the bytes sent must be
that form exactly. That includes times: Go writes RFC 3339 with the fraction's trailing zeros dropped, so
the expiry written here is to the second (no fraction), which Go writes back the same."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import json
import os
import uuid

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import _crypto, decrypt_private_key


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


def signed_file(signed, signatures):
    sigs = ','.join('{"keyid":%s,"method":%s,"sig":%s}' % tuple(json.dumps(s[k]) for k in ('keyid', 'method', 'sig'))
                    for s in signatures)
    return b'{"signed":' + canonical(signed) + b',"signatures":[' + sigs.encode('ascii') + b']}'


def file_meta(old, data):
    """The snapshot's (or timestamp's) entry for a file: old's fields with data's length and hashes."""
    meta = dict(old)
    meta['length'] = len(data)
    meta['hashes'] = dict((name, base64.b64encode(hashlib.new(name, data).digest()).decode('ascii'))
                          for name in (old.get('hashes') or {'sha256': None}))
    return meta


def load_private_key(module, trust_dir, key_id, passphrase):
    """The private key <trust_dir>/private/<key_id>.key, for signing (see _keys.decrypt_private_key)."""
    path = os.path.join(trust_dir, 'private', key_id + '.key')
    plain = decrypt_private_key(module, path, passphrase)
    if plain is None:
        raise TrustError('openssl is needed to read %s (Debian package openssl)' % path)
    dummy, serialization, ec = _crypto()[:3]
    key = serialization.load_pem_private_key(plain, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TrustError('%s is a %s key; only ECDSA keys (what docker trust and notary make) can be re-signed '
                         'here' % (path, type(key).__name__))
    return key


def sign(signed, key_id, key):
    """The whole file of signed, signed with key (its TUF key ID key_id)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    r, s = decode_dss_signature(key.sign(canonical(signed), ec.ECDSA(hashes.SHA256())))
    size = (key.curve.key_size + 7) // 8
    sig = base64.b64encode(r.to_bytes(size, 'big') + s.to_bytes(size, 'big')).decode('ascii')
    return signed_file(signed, [{'keyid': key_id, 'method': 'ecdsa', 'sig': sig}])


def multipart(files):
    """(content type, body) of a notary upload: one form file "files" per role, named <role>.json."""
    boundary = uuid.uuid4().hex
    body = b''
    for role, data in sorted(files.items()):
        body += (b'--%s\r\nContent-Disposition: form-data; name="files"; filename="%s.json"\r\n'
                 b'Content-Type: application/octet-stream\r\n\r\n' % (boundary.encode(), role.encode())) + data + b'\r\n'
    return 'multipart/form-data; boundary=%s' % boundary, body + b'--%s--\r\n' % boundary.encode()
