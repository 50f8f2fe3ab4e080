"""What a compromised notary server can do to a repository, made the way the compromise would make it (issue 34).

Whoever holds the server's database (or the host, or an administrator's password) can write any row of tuf_files,
and notary-server serves what the rows say: the current version of a role is its highest row, consistent files are
looked up by their sha256 column, and a stored timestamp that has not expired is served as it is, unchecked
(server/handlers/roles.go, server/timestamp). An expired one is replaced by a new timestamp the server signs with
its own key for whatever snapshot the stored one names. So the attacker has the timestamp key in effect, and for a
repository docker made, the snapshot key too (notary-server holds it). It has neither the root key nor the targets
and delegation keys: those stay with the repository's owner and signers.

A Repository here is made as docker makes one, with a history: publish 1 signs tag v1 as OLD in targets (the owner,
before there were signers), publish 2 adds the signer alice (delegations targets/releases and targets/alice, one key,
as `docker trust signer add` does) and signs v1 as CURRENT in both (as `docker trust sign` does). Its snapshot key
is held by the fixture, standing for the server's (which the server would use itself). Each attack changes only its
own repository's rows (or its registry content); Repository.put_back() restores what setup left, row for row.

The signing is the collection's own notary-format signing (module_utils/_tuf_sign.py); the real notary, docker and
podman clients judge the result."""
import base64
import datetime
import hashlib
import json
import pathlib
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tuf_fixture import file_meta, go_time, private_key, sign, signed_file
# pylint: disable-next=wrong-import-order
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import tuf_key_id  # noqa: E402

PASSPHRASE = 'attack-suite-passphrase'
OLD, CURRENT, ATTACKER = 'old', 'current', 'attacker'


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def attacker_key(gun=None):
    """(private key, TUF key ID, public key entry) of a key the attacker makes; a root key (gun given) is a
    self-signed certificate for gun, as notary's root keys are."""
    key = ec.generate_private_key(ec.SECP256R1())
    if gun is None:
        der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return key, tuf_key_id('ecdsa', der), {'keytype': 'ecdsa', 'keyval': {'private': None, 'public': base64.b64encode(der).decode()}}
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, gun)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now() - datetime.timedelta(hours=1))
            .not_valid_after(now() + datetime.timedelta(days=3650)).sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    return key, tuf_key_id('ecdsa-x509', pem), {'keytype': 'ecdsa-x509', 'keyval': {'private': None, 'public': base64.b64encode(pem).decode()}}


class Database(object):
    """notary-server's tuf_files table, through the stack's MariaDB container (what a compromised host can do)."""

    def __init__(self, container):
        self.container = container

    def execute(self, sql):
        proc = subprocess.run(['docker', 'exec', '-i', self.container, 'mariadb', '--batch', '--skip-column-names',
                               'notaryserver'], input=sql, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    def rows(self, gun):
        out = self.execute("SELECT id, role, version, sha256, HEX(data) FROM tuf_files WHERE gun = '%s' ORDER BY id;" % gun)
        return [dict(id=int(i), role=role, version=int(version), sha256=sha, data=bytes.fromhex(data))
                for i, role, version, sha, data in (line.split('\t') for line in out.splitlines())]

    @staticmethod
    def row_sql(gun, role, version, data, row_id=None):
        return ("INSERT INTO tuf_files (%screated_at, updated_at, gun, role, version, data, sha256) "
                "VALUES (%sNOW(), NOW(), '%s', '%s', %d, X'%s', '%s');"
                % ('id, ' if row_id else '', '%d, ' % row_id if row_id else '', gun, role, version, data.hex(),
                   hashlib.sha256(data).hexdigest()))


class Repository(object):
    """One repository of the suite: its gun, its three contents ({OLD, CURRENT, ATTACKER: (hex, size)}), the
    owner's trust directory (root, targets and snapshot keys, passphrase PASSPHRASE) and its rows as setup left them."""

    def __init__(self, gun, digests, trust_dir, database, registry_storage, push):
        self.gun, self.digests, self.trust_dir, self.db = gun, digests, str(trust_dir), database
        self.registry_storage = pathlib.Path(registry_storage)
        # push(which): push the content `which` (OLD, CURRENT, ATTACKER) as gun:v1, as an administrator
        self.push = push
        self.rows = database.rows(gun)
        self.saved_blobs = {}
        self.pushed_over = False

    # ------------------------------------------------------------------ what setup left
    def row(self, role, version=None):
        rows = [r for r in self.rows if r['role'] == role and (version is None or r['version'] == version)]
        return max(rows, key=lambda r: r['version'])

    def doc(self, role, version=None):
        return json.loads(self.row(role, version)['data'])

    def first(self, role):
        """The row of role that publish 1 left."""
        return min((r for r in self.rows if r['role'] == role), key=lambda r: r['version'])

    def key_id(self, role):
        return self.doc('root')['signed']['roles'][role]['keyids'][0]

    def root_key_ids(self):
        return self.doc('root')['signed']['roles']['root']['keyids']

    def target(self, which):
        hex_digest, size = self.digests[which]
        return {'hashes': {'sha256': base64.b64encode(bytes.fromhex(hex_digest)).decode()}, 'length': size}

    # ------------------------------------------------------------------ writing rows
    def insert(self, role, version, data):
        self.db.execute(Database.row_sql(self.gun, role, version, data))

    def owner_sign(self, role, signed):
        """signed, signed with the owner's key of role (targets, snapshot) from the trust directory."""
        key_id = self.key_id(role)
        return sign(signed, key_id, private_key(self.trust_dir, key_id, PASSPHRASE))

    def serve_snapshot(self, snapshot_data):
        """Have the server time-stamp snapshot_data with its own key: a stored timestamp that has expired and names the
        snapshot makes notary-server sign a new one over it, one version up (server/timestamp GetOrCreateTimestamp)."""
        stale = self.doc('timestamp')
        version = stale['signed']['version'] + 1
        stale['signed'].update(version=version, expires=go_time(now() - datetime.timedelta(days=1)))
        stale['signed']['meta']['snapshot'] = file_meta(stale['signed']['meta']['snapshot'], snapshot_data)
        self.insert('timestamp', version, signed_file(stale['signed'], stale['signatures']))

    def new_snapshot(self, files=None, drop=(), key=None):
        """A snapshot one version up naming files ({role: data}) and not drop; signed with the snapshot key (the
        server's, for a repository docker made) or key ((private key, key ID)); stored and time-stamped."""
        snapshot = self.doc('snapshot')['signed']
        snapshot.update(version=snapshot['version'] + 1, expires=go_time(now() + datetime.timedelta(days=300)))
        for role, data in (files or {}).items():
            snapshot['meta'][role] = file_meta(snapshot['meta'].get(role, {}), data)
        for role in drop:
            snapshot['meta'].pop(role)
        data = self.owner_sign('snapshot', snapshot) if key is None else sign(snapshot, key[1], key[0])
        self.insert('snapshot', snapshot['version'], data)
        self.serve_snapshot(data)
        return data

    def put_back(self):
        """The repository's rows exactly as setup left them, and its registry content."""
        self.db.execute("DELETE FROM tuf_files WHERE gun = '%s';\n%s" % (
            self.gun, '\n'.join(Database.row_sql(self.gun, r['role'], r['version'], r['data'], r['id']) for r in self.rows)))
        for path, data in self.saved_blobs.items():
            path.write_bytes(data)
        if self.pushed_over:
            self.push(CURRENT)

    def blob(self, hex_digest):
        return self.registry_storage / 'docker' / 'registry' / 'v2' / 'blobs' / 'sha256' / hex_digest[:2] / hex_digest / 'data'


# ---------------------------------------------------------------------- the attacks: each changes one Repository

def rollback(repo):
    """Delete the rows of the last publish: the server serves the state before it (v1 = OLD, no delegation)."""
    repo.db.execute("DELETE FROM tuf_files WHERE gun = '%s' AND id > %d;" % (repo.gun, repo.first('timestamp')['id']))


def freeze(repo):
    """Store the first timestamp the server signed again, as the newest: it names the first snapshot (v1 = OLD)."""
    repo.insert('timestamp', repo.row('timestamp')['version'] + 1, repo.first('timestamp')['data'])


def mix_and_match(repo):
    """A new snapshot that names the targets of publish 1 with the rest of publish 2."""
    repo.new_snapshot({'targets': repo.first('targets')['data']})


def expired(repo):
    """An old targets file the owner once signed (v1 = OLD), long expired, put back by a new snapshot."""
    targets = json.loads(repo.first('targets')['data'])['signed']
    targets.update(version=repo.doc('targets')['signed']['version'] + 1, expires=go_time(now() - datetime.timedelta(days=2)))
    data = repo.owner_sign('targets', targets)
    repo.insert('targets', targets['version'], data)
    repo.new_snapshot({'targets': data})


def _attacker_repository(repo, root, root_key):
    """targets (v1 = ATTACKER), snapshot and timestamp under root, each signed with a key root gives the attacker."""
    keys = dict((role, attacker_key()) for role in ('targets', 'snapshot', 'timestamp'))
    for role, (dummy, key_id, public) in keys.items():
        root['keys'][key_id] = public
        root['roles'][role] = {'keyids': [key_id], 'threshold': 1}
    root['version'] += 1
    root_data = sign(root, root_key[1], root_key[0]) if len(root_key) == 2 else root_key[2](root)
    repo.insert('root', root['version'], root_data)
    version = repo.doc('targets')['signed']['version'] + 1
    targets = {'_type': 'Targets', 'delegations': {'keys': {}, 'roles': []}, 'expires': go_time(now() + datetime.timedelta(days=30)),
               'targets': {'v1': repo.target(ATTACKER)}, 'version': version}
    targets_data = sign(targets, keys['targets'][1], keys['targets'][0])
    repo.insert('targets', version, targets_data)
    version = repo.doc('snapshot')['signed']['version'] + 1
    snapshot = {'_type': 'Snapshot', 'expires': go_time(now() + datetime.timedelta(days=30)), 'version': version,
                'meta': {'root': file_meta({}, root_data), 'targets': file_meta({}, targets_data)}}
    snapshot_data = sign(snapshot, keys['snapshot'][1], keys['snapshot'][0])
    repo.insert('snapshot', version, snapshot_data)
    version = repo.doc('timestamp')['signed']['version'] + 1
    timestamp = {'_type': 'Timestamp', 'expires': go_time(now() + datetime.timedelta(days=14)), 'version': version,
                 'meta': {'snapshot': file_meta({}, snapshot_data)}}
    repo.insert('timestamp', version, sign(timestamp, keys['timestamp'][1], keys['timestamp'][0]))


def root_replaced(repo):
    """A new root whose every key is the attacker's, signed by the attacker's root key, and metadata under it."""
    key, key_id, public = attacker_key(repo.gun)
    root = repo.doc('root')['signed']
    root['keys'] = {key_id: public}
    root['roles']['root'] = {'keyids': [key_id], 'threshold': 1}
    _attacker_repository(repo, root, (key, key_id))


def root_forged(repo):
    """A new root that still lists the owner's (pinned) root key beside the attacker's, with a signature that claims
    to be by the owner's key (the attacker's signature under the owner's key ID), and metadata under it."""
    key, key_id, public = attacker_key(repo.gun)
    root = repo.doc('root')['signed']
    owner = root['roles']['root']['keyids'][0]
    root['keys'][key_id] = public
    root['roles']['root'] = {'keyids': [owner, key_id], 'threshold': 1}

    def forged(signed):
        real = json.loads(sign(signed, key_id, key))['signatures'][0]
        return signed_file(signed, [dict(real, keyid=owner), real])
    _attacker_repository(repo, root, (key, key_id, forged))


def _with_attacker_v1(repo, role, signing):
    """role's current file one version up with v1 = ATTACKER, signed by signing(signed part) -> file, stored, and named
    by a new snapshot. targets loses its delegations (so that v1 is read from it), and the snapshot lists none."""
    signed = repo.doc(role)['signed']
    signed['version'] += 1
    signed['targets']['v1'] = repo.target(ATTACKER)
    drop = ()
    if role == 'targets':
        signed['delegations'] = {'keys': {}, 'roles': []}
        drop = ('targets/releases', 'targets/alice')
    data = signing(signed)
    repo.insert(role, signed['version'], data)
    repo.new_snapshot({role: data}, drop=drop)


def _by_a_foreign_key(signed):
    """signed, signed by a key the attacker made (one root never listed)."""
    key, key_id, dummy = attacker_key()
    return sign(signed, key_id, key)


def targets_foreign_key(repo):
    """targets with v1 = ATTACKER, signed by a key root never listed."""
    _with_attacker_v1(repo, 'targets', _by_a_foreign_key)


def targets_tampered(repo):
    """targets with v1 = ATTACKER under the owner's signature of the real file."""
    _with_attacker_v1(repo, 'targets', lambda signed: signed_file(signed, repo.doc('targets')['signatures']))


def targets_unsigned(repo):
    """targets with v1 = ATTACKER and no signature at all (0 of the threshold of 1)."""
    _with_attacker_v1(repo, 'targets', lambda signed: signed_file(signed, []))


def timestamp_foreign_key(repo):
    """Without the server's timestamp key: a timestamp signed by a key root never listed, naming the first snapshot."""
    timestamp = repo.doc('timestamp')['signed']
    timestamp.update(version=timestamp['version'] + 1, expires=go_time(now() + datetime.timedelta(days=14)))
    timestamp['meta']['snapshot'] = file_meta(timestamp['meta']['snapshot'], repo.first('snapshot')['data'])
    key, key_id, dummy = attacker_key()
    repo.insert('timestamp', timestamp['version'], sign(timestamp, key_id, key))


def delegation_key_swapped(repo):
    """targets/releases with v1 = ATTACKER, signed by the attacker's key instead of the signer's."""
    _with_attacker_v1(repo, 'targets/releases', _by_a_foreign_key)


def delegation_tampered(repo):
    """targets/releases with v1 = ATTACKER under the signer's signature of the real file."""
    _with_attacker_v1(repo, 'targets/releases', lambda signed: signed_file(signed, repo.doc('targets/releases')['signatures']))


def delegation_removed(repo):
    """A new snapshot without the delegations: notary skips them and reads v1 from targets (OLD)."""
    repo.new_snapshot(drop=('targets/releases', 'targets/alice'))


def registry_content(repo):
    """The registry's stored manifest of the signed digest (CURRENT) replaced by the attacker's manifest."""
    path = repo.blob(repo.digests[CURRENT][0])
    repo.saved_blobs[path] = path.read_bytes()
    path.write_bytes(repo.blob(repo.digests[ATTACKER][0]).read_bytes())


def tag_pushed_over(repo):
    """The attacker's content pushed as v1 with an administrator's registry credentials, and not signed."""
    repo.pushed_over = True
    repo.push(ATTACKER)
