#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_key_rotate
short_description: Rotate a repository's root, targets or snapshot key, only when asked
version_added: 0.2.0
description:
  - Rotates one key of a repository's Docker Content Trust data with C(notary key rotate), run on the
    docker trust directory (C(<config_dir>/trust)) against I(server), and publishes the rotation.
  - Rotation changes keys, so it happens only for a reason, which is one of I(force), the current key listed in
    I(retire_key_ids), the key is older than I(max_age_days), or (I(role=snapshot)) the snapshot key is
    not managed where I(server_managed) says. Without a reason the module changes nothing.
  - Reads the current keys from the repository's C(root.json) on the server and the private keys in
    the trust directory; it needs no docker CLI.
  - Tags signed before a targets or snapshot rotation keep verifying; delegations (signers) are kept.
    After a root rotation, clients that cached the old root follow the rotation, because the new
    C(root.json) is signed by the old root key too.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
options:
  repository:
    description: The repository (the notary GUN), C([host[:port]/]name).
    type: str
    required: true
  role:
    description:
      - The key to rotate. C(targets) is what C(docker trust) calls the repository key.
    type: str
    required: true
    choices: [root, targets, snapshot]
  server_managed:
    description:
      - Only with I(role=snapshot). C(true) (the default for snapshot) moves the snapshot key to the
        notary server (C(notary key rotate -r)); when the server already manages it, nothing changes.
        C(false) brings it back into the trust directory.
    type: bool
  force:
    description: Rotate even when no other reason holds. Not idempotent by design.
    type: bool
    default: false
  retire_key_ids:
    description:
      - Key IDs (full, or a prefix of at least 7 hex digits) that must not stay in use. When the current
        key of I(role) is one of them, it is rotated; a second run finds the new key and does nothing.
    type: list
    elements: str
    default: []
  max_age_days:
    description:
      - Rotate when the current key is older than this many days. The age of a root key is that of its
        certificate in C(root.json); of a targets or snapshot key, the modification time of its private
        key file in the trust directory. A server-managed snapshot key has no age here.
    type: int
  root_passphrase:
    description:
      - Passphrase of the root key, as C(NOTARY_ROOT_PASSPHRASE). Every rotation re-signs C(root.json)
        with it; a root rotation also encrypts the new root key with it.
    type: str
  repository_passphrase:
    description:
      - Passphrase of the targets (repository) key, as C(NOTARY_TARGETS_PASSPHRASE); a targets rotation
        encrypts the new key with it. The same as the docker CLI's repository passphrase.
    type: str
  snapshot_passphrase:
    description:
      - Passphrase of a snapshot key kept in the trust directory, as C(NOTARY_SNAPSHOT_PASSPHRASE).
        Defaults to I(repository_passphrase), which is what C(docker trust) encrypts it with.
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: the key IDs of I(role) before and after.
notes:
  - The notary CLI runs with its standard input closed and passphrases only in its environment, so it
    never prompts. When it fails (a wrong passphrase, an unreachable server), key files it had already
    written to the trust directory are removed, so a failed rotation leaves the trust data as it was.
  - Back up the trust directory's root and targets keys before rotating; see C(playbooks/backup_keys.yml).
seealso:
  - module: dct.trust_stack.trust_signer
  - module: dct.trust_stack.trust_info
'''

EXAMPLES = r'''
- name: Let the notary server manage the snapshot key (a no-op once it does)
  dct.trust_stack.trust_key_rotate:
    repository: localhost:5000/team/app
    role: snapshot
    server: https://localhost:4443
    root_passphrase: "{{ vault_root_passphrase }}"

- name: Rotate the targets key once it is a year old
  dct.trust_stack.trust_key_rotate:
    repository: localhost:5000/team/app
    role: targets
    max_age_days: 365
    server: https://localhost:4443
    root_passphrase: "{{ vault_root_passphrase }}"
    repository_passphrase: "{{ vault_repository_passphrase }}"

- name: Retire a leaked targets key
  dct.trust_stack.trust_key_rotate:
    repository: localhost:5000/team/app
    role: targets
    retire_key_ids: [1fff399182cb]
    server: https://localhost:4443
    root_passphrase: "{{ vault_root_passphrase }}"
    repository_passphrase: "{{ vault_repository_passphrase }}"
'''

RETURN = r'''
old_key_ids:
  description: Key IDs of I(role) in C(root.json) before the run.
  returned: always
  type: list
  elements: str
key_ids:
  description: Key IDs of I(role) after the run (in check mode, C(["(new key)"]) when a rotation is due).
  returned: always
  type: list
  elements: str
server_managed:
  description: Whether the server holds the key of I(role) after the run.
  returned: always
  type: bool
reasons:
  description: Why the key was (or, in check mode, would be) rotated; empty when it was not.
  returned: always
  type: list
  elements: str
'''

import base64
import datetime
import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._options import GROUP_ARGS, PASSPHRASE_ARGS
from ansible_collections.dct.trust_stack.plugins.module_utils._references import split_repository
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import (
    certificate_not_before, local_key_ids, private_keys, put_back_private_keys)
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import NotaryCLI
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import explain_passphrase_failure

KEY_ID_PREFIX_RE = re.compile(r'^[0-9a-f]{7,64}$')


def root_key_pem(root, key_id):
    """The public value of a key in root.json: a PEM certificate for '<type>-x509' keys."""
    return base64.b64decode(root['keys'][key_id]['keyval']['public'])


def key_age_days(root, role, key_id, private_dir):
    """Days since the key was made, or None when that cannot be told (see max_age_days)."""
    if role == 'root':
        not_before = certificate_not_before(root_key_pem(root, key_id))
        return (datetime.datetime.now(datetime.timezone.utc) - not_before).days
    path = os.path.join(private_dir, key_id + '.key')
    if not os.path.exists(path):
        return None
    return int((datetime.datetime.now().timestamp() - os.path.getmtime(path)) // 86400)


def reasons_to_rotate(module, root, current, managed_now, private_dir):
    p = module.params
    reasons = []
    if p['role'] == 'snapshot' and p['server_managed'] and not managed_now:
        reasons.append('the snapshot key is in the trust directory; move it to the server')
    if p['role'] == 'snapshot' and not p['server_managed'] and managed_now:
        reasons.append('the snapshot key is server-managed; bring it into the trust directory')
    if p['force']:
        reasons.append('force')
    retired = [k for k in current if any(k.startswith(r) for r in p['retire_key_ids'])]
    if retired:
        reasons.append('key %s is listed in retire_key_ids' % ', '.join(retired))
    if p['max_age_days'] is not None and not managed_now:
        ages = [a for a in (key_age_days(root, p['role'], k, private_dir) for k in current) if a is not None]
        if ages and max(ages) > p['max_age_days']:
            reasons.append('key is %d days old (max_age_days %d)' % (max(ages), p['max_age_days']))
    return reasons


def check_passphrases(p):
    missing = []
    if not p['root_passphrase']:
        missing.append('root_passphrase (root.json is re-signed)')
    if p['role'] == 'targets' and not p['repository_passphrase']:
        missing.append('repository_passphrase (encrypts the new targets key)')
    if p['role'] == 'snapshot' and not p['server_managed'] and not p['snapshot_passphrase']:
        missing.append('snapshot_passphrase or repository_passphrase (encrypts the new snapshot key)')
    if missing:
        raise TrustError('rotating the %s key of %s needs %s' % (p['role'], p['repository'], ', '.join(missing)))


def rotate(notary, gun, role, server_managed):
    """Run notary key rotate; on failure put the private keys back as they were and raise."""
    saved = private_keys(notary.trust_dir)
    args = ['key', 'rotate', gun, role] + (['--server-managed'] if server_managed else [])
    rc, out, err = notary.run(args)
    if rc != 0:
        put_back_private_keys(notary.trust_dir, saved)
        notary.fail_on_refusal(rc, out, err, 'notary key rotate %s %s (nothing was changed)' % (gun, role))
        raise TrustError('notary key rotate %s %s failed; nothing was changed: %s'
                         % (gun, role, explain_passphrase_failure((err or out).strip())))


def run(module):
    p = module.params
    gun = split_repository(p['repository'])
    if p['server_managed'] is None:
        p['server_managed'] = p['role'] == 'snapshot'
    if p['server_managed'] and p['role'] != 'snapshot':
        raise TrustError('server_managed applies to role snapshot only; the %s key always stays with you' % p['role'])
    for prefix in p['retire_key_ids']:
        if not KEY_ID_PREFIX_RE.match(prefix):
            raise TrustError('retire_key_ids entry "%s" is not a key ID (7 to 64 lower-case hex digits)' % prefix)
    if p['max_age_days'] is not None and p['max_age_days'] < 0:
        raise TrustError('max_age_days must be 0 or more, not %d' % p['max_age_days'])
    p['snapshot_passphrase'] = p['snapshot_passphrase'] or p['repository_passphrase']

    notary = NotaryCLI(module, {'root': p['root_passphrase'], 'targets': p['repository_passphrase'],
                                'snapshot': p['snapshot_passphrase']}, gun)
    notary.check_server()
    private_dir = os.path.join(notary.trust_dir, 'private')
    root = notary.root_metadata(gun)
    current = sorted(root['roles'][p['role']]['keyids'])
    # only the snapshot key can be with the server (this module rotates no timestamp key)
    managed_now = p['role'] == 'snapshot' and not local_key_ids(root['keys'], current, notary.trust_dir)
    reasons = reasons_to_rotate(module, root, current, managed_now, private_dir)

    after = current
    if reasons:
        check_passphrases(p)
        if module.check_mode:
            after = ['(new key)']
        else:
            rotate(notary, gun, p['role'], p['server_managed'])
            after = sorted(notary.root_metadata(gun)['roles'][p['role']]['keyids'])
    managed_after = p['server_managed'] if reasons else managed_now
    return dict(changed=bool(reasons), reasons=reasons, old_key_ids=current, key_ids=after,
                server_managed=managed_after,
                diff=dict(before={p['role']: current}, after={p['role']: after}))


def main():
    argument_spec = dict(
        repository=dict(type='str', required=True),
        role=dict(type='str', required=True, choices=['root', 'targets', 'snapshot']),
        server_managed=dict(type='bool'),
        force=dict(type='bool', default=False),
        retire_key_ids=dict(type='list', elements='str', default=[], no_log=False),
        max_age_days=dict(type='int'),
        root_passphrase=PASSPHRASE_ARGS['root_passphrase'],
        repository_passphrase=PASSPHRASE_ARGS['repository_passphrase'],
        snapshot_passphrase=PASSPHRASE_ARGS['snapshot_passphrase'],
    )
    argument_spec.update(GROUP_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
