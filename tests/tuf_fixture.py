"""A repository three years on, made the way time would make it: its targets metadata expired.

notary-server will not store expired metadata (validateUpdate loads every upload with allowExpired=false),
and notary is written in Go, whose clock libfaketime does not reach. So the fixture signs what the
repository's owner would have signed long ago, with the repository's own keys, and writes it into the
server's database as the next versions:

- targets: the current targets with version + 1 and an expiry in the past, signed with the targets key;
- snapshot: the current snapshot (a repository whose snapshot key the client holds) pointing at that targets
  file, version + 1, signed with the snapshot key. It keeps a future expiry: three years on, a snapshot the
  server manages is one the server re-signs when it expires (server/snapshot), and one the client manages
  has expired too, which makes the server fail to make any timestamp (a 500, not the "expired" that users
  meet first). A repository's targets expire first, as in notary #1662 and #1648;
- timestamp: the server's last timestamp, pointing at that snapshot, with an expiry in the past. That is
  what the stored timestamp of a repository nobody read for 14 days is: notary-server regenerates an
  expired timestamp itself, signed with its own key, when a client asks (server/timestamp), and never
  serves or checks the stored one. This row is replaced before any client sees it.

The signing is the collection's own (module_utils/_tuf_sign.py, what trust_renew re-signs an expired targets
with); the real notary and docker CLIs are what judge the result.
"""
import datetime
import hashlib
import json
import os
import pathlib
import subprocess
import sys

from cryptography.hazmat.primitives import serialization

LINKS = pathlib.Path(__file__).resolve().parents[1] / 'build' / 'collections'
if str(LINKS) not in sys.path:
    sys.path.insert(0, str(LINKS))
# the collection's own notary-format signing (what trust_renew re-signs an expired targets with); the real notary
# and docker CLIs then judge what it made
# pylint: disable-next=wrong-import-position
from ansible_collections.dct.trust_stack.plugins.module_utils._tuf_sign import file_meta, sign, signed_file  # noqa: E402
# times to the second, as Go marshals them back unchanged (see _tuf_sign)
# pylint: disable-next=wrong-import-position
from ansible_collections.dct.trust_stack.plugins.module_utils._expiry import format_time as go_time  # noqa: E402


def private_key(trust_dir, key_id, passphrase):
    """The private key trust_dir/private/<key_id>.key, decrypted with openssl (notary's encrypted PKCS#8
    carries 'role:' headers and an encoding that cryptography will not parse; openssl reads it)."""
    with open(os.path.join(trust_dir, 'private', key_id + '.key'), encoding='ascii') as handle:
        pem = ''.join(line for line in handle if ':' not in line or line.startswith('-----'))
    plain = subprocess.run(['openssl', 'pkcs8', '-passin', 'env:DCT_FIXTURE_PASS'], input=pem.encode(),
                           capture_output=True, check=True, env=dict(os.environ, DCT_FIXTURE_PASS=passphrase)).stdout
    return serialization.load_pem_private_key(plain, password=None)


def sql_row(gun, role, version, data):
    return ("INSERT INTO tuf_files (created_at, updated_at, gun, role, version, data, sha256) "
            "VALUES (NOW(), NOW(), '%s', '%s', %d, X'%s', '%s');"
            % (gun, role, version, data.hex(), hashlib.sha256(data).hexdigest()))


def expire_targets(gun, current, trust_dir, passphrases, expired_at):
    """The SQL that makes gun's targets expired at expired_at (a past datetime).

    current: {role: the server's JSON (parsed)} of root, targets, snapshot and timestamp;
    passphrases: {'targets': ..., 'snapshot': ...} of the keys in trust_dir. Returns (sql, {role: (version, data)})."""
    root = current['root']['signed']
    targets = dict(current['targets']['signed'], version=current['targets']['signed']['version'] + 1,
                   expires=go_time(expired_at))
    targets_id = root['roles']['targets']['keyids'][0]
    targets_data = sign(targets, targets_id, private_key(trust_dir, targets_id, passphrases['targets']))

    snapshot = json.loads(json.dumps(current['snapshot']['signed']))
    snapshot['version'] += 1
    snapshot['expires'] = go_time(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=3 * 365))
    snapshot['meta']['targets'] = file_meta(snapshot['meta']['targets'], targets_data)
    snapshot_id = root['roles']['snapshot']['keyids'][0]
    snapshot_data = sign(snapshot, snapshot_id, private_key(trust_dir, snapshot_id, passphrases['snapshot']))

    timestamp = json.loads(json.dumps(current['timestamp']))
    timestamp['signed']['version'] += 1
    timestamp['signed']['expires'] = go_time(expired_at)
    timestamp['signed']['meta']['snapshot'] = file_meta(timestamp['signed']['meta']['snapshot'], snapshot_data)
    # its old signature: nobody checks it before the server replaces it
    timestamp_data = signed_file(timestamp['signed'], timestamp['signatures'])

    files = {'targets': (targets['version'], targets_data), 'snapshot': (snapshot['version'], snapshot_data),
             'timestamp': (timestamp['signed']['version'], timestamp_data)}
    sql = 'START TRANSACTION;\n%s\nCOMMIT;\n' % '\n'.join(
        sql_row(gun, role, version, data) for role, (version, data) in files.items())
    return sql, files
