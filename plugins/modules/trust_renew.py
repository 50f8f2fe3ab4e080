#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_renew
short_description: Re-sign a repository's trust metadata before it expires, or after
version_added: 0.7.0
description:
  - Reads when each role of a repository expires (from the notary server, as
    M(dct.trust_stack.trust_info) does) and re-signs the roles that expire within I(within_days), or
    have expired. Nothing inside the window, nothing changes.
  - Targets and delegations are re-signed with C(notary witness) and one C(notary publish), run on the
    docker trust directory (C(<config_dir>/trust)). A publish also re-signs a snapshot whose key is in
    the trust directory (else the server re-signs it), and root when root expires within six months
    (the notary client's own rule; root is re-signed then only, and needs I(root_passphrase)).
  - A repository whose top-level targets has already expired is one the notary client refuses to update,
    so it cannot publish to it (notary issue 1662). The module then re-signs C(targets.json) (and
    C(snapshot.json) when its key is in the trust directory) itself, as the same metadata with version + 1,
    expiring three years from now (notary's default), signed with the same key, and uploads it to the
    server, which checks it as any upload. Delegations are then witnessed as above.
  - The timestamp is the server's, which re-signs it every 14 days by itself.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
  - dct.trust_stack.trust.publish
options:
  repository:
    description: The repository (the notary GUN), C([host[:port]/]name).
    type: str
    required: true
  within_days:
    description:
      - Re-sign the roles that expire within this many days (and those that have expired).
      - Targets, snapshot and delegations live three years, root ten. A window longer than a role's lifetime
        re-signs it on every run, except a run within a minute of its last re-sign (which would not move its
        expiry), so a second run right after the first changes nothing.
    type: int
    default: 90
  roles:
    description:
      - Re-sign only these roles (C(root), C(targets), C(snapshot), C(targets/<name>)), when they are due. By
        default every due role, which needs the private key of each in the trust directory.
    type: list
    elements: str
  root_passphrase:
    description:
      - Passphrase of the root key, as C(NOTARY_ROOT_PASSPHRASE). Needed only when root is re-signed (it
        expires within six months and is due).
    type: str
  repository_passphrase:
    description:
      - Passphrase of the targets key (what C(docker trust) calls the repository key), as
        C(NOTARY_TARGETS_PASSPHRASE); also the default of I(snapshot_passphrase) and I(signer_passphrase).
    type: str
  snapshot_passphrase:
    description: Passphrase of a snapshot key in the trust directory. Defaults to I(repository_passphrase).
    type: str
  signer_passphrase:
    description:
      - Passphrase of the signers' (delegations') keys in the trust directory, as
        C(NOTARY_DELEGATION_PASSPHRASE). Defaults to I(repository_passphrase), which is what
        C(docker trust key generate) and C(docker trust key load) encrypt them with.
    type: str
attributes:
  check_mode:
    support: full
    details: Reports what would be re-signed, and the expiry each role would get.
  diff_mode:
    support: full
    details: Each re-signed role's expiry and version before and after.
notes:
  - Passphrases reach the notary CLI (and openssl, which decrypts a key for the expired-targets case) only
    through their environment. A failed run (a wrong passphrase, a refusal by the server) leaves the
    trust directory's private keys as they were and publishes nothing.
  - Run M(dct.trust_stack.trust_info) (or C(playbooks/expiry_report.yml)) on a schedule to see what comes due.
requirements:
  - openssl and cryptography (Python), only to renew a repository whose targets has already expired
seealso:
  - module: dct.trust_stack.trust_info
  - module: dct.trust_stack.trust_key_rotate
'''

EXAMPLES = r'''
- name: Re-sign whatever expires within 90 days
  dct.trust_stack.trust_renew:
    repository: localhost:5000/team/app
    server: https://localhost:4443
    repository_passphrase: "{{ vault_repository_passphrase }}"
    root_passphrase: "{{ vault_root_passphrase }}"

- name: Re-sign only the signer alice's delegations, a year ahead
  dct.trust_stack.trust_renew:
    repository: localhost:5000/team/app
    within_days: 365
    roles: [targets/releases, targets/alice]
    server: https://localhost:4443
    signer_passphrase: "{{ vault_alice_passphrase }}"
'''

RETURN = r'''
renewed:
  description:
    - Per role re-signed (in check mode, that would be), its expiry and version before (C(old_expires),
      C(old_version)) and after (C(expires), C(version); predicted in check mode).
  returned: always
  type: dict
  sample: {"targets": {"old_expires": "2026-12-01T16:51:34Z", "old_version": 3, "expires": "2029-12-02T17:20:00Z",
           "version": 4}}
method:
  description:
    - C(publish) (notary witness and publish), C(resign) (the expired targets re-signed and uploaded, then
      a publish for the delegations when they are due too), or C(none).
  returned: always
  type: str
deferred:
  description:
    - Roles inside the window that this run does not re-sign, with why. That is root more than six months
      before its expiry (the notary client re-signs it only within six months), or a role re-signed within
      the last minute, whose expiry a re-sign now would not move (a window longer than the role's lifetime).
  returned: always
  type: dict
expiry:
  description: The repository's expiry report after the run (before, in check mode); see M(dct.trust_stack.trust_info).
  returned: always
  type: dict
publish_refusals:
  description: How many publishes the notary server refused (another signer published first, or it could not write)
    before the one that went through, each tried again on the newest metadata (see I(publish_retries)).
  returned: always
  type: int
  sample: 0
'''

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, publish_retries, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._options import GROUP_ARGS, PASSPHRASE_ARGS, PUBLISH_ARGS
from ansible_collections.dct.trust_stack.plugins.module_utils._references import split_repository
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import (
    local_key_ids, private_keys, put_back_private_keys)
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import NotaryCLI
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import explain_passphrase_failure
from ansible_collections.dct.trust_stack.plugins.module_utils._expiry import (
    expiry_report, format_time, parse_time, read_roles, utc_now)
from ansible_collections.dct.trust_stack.plugins.module_utils import _tuf_sign

# notary 0.7's lifetimes (const.go: a year is 365 days)
LIFETIME_DAYS = {'root': 3650, 'targets': 1095, 'snapshot': 1095}
DELEGATION_DAYS = 1095
FRESH = datetime.timedelta(minutes=1)


def six_months_on(now):
    """now + 6 months as Go's time.AddDate(0, 6, 0) counts them (an overflowing day rolls into the next month)."""
    year, month = divmod(now.month - 1 + 6, 12)
    first = now.replace(year=now.year + year, month=month + 1, day=1)
    return first + datetime.timedelta(days=now.day - 1)


def role_keys(roles, role):
    """(TUF keys, key IDs) that sign role: from root.json for the top-level roles, else from its parent's
    delegations."""
    if role in ('root', 'targets', 'snapshot', 'timestamp'):
        return roles['root']['keys'], roles['root']['roles'][role]['keyids']
    parent = role.rpartition('/')[0]
    delegations = (roles.get(parent) or {}).get('delegations') or {}
    entry = [r for r in delegations.get('roles') or [] if r['name'] == role]
    return delegations.get('keys') or {}, entry[0]['keyids'] if entry else []


def check_input(p):
    if p['within_days'] < 0:
        raise TrustError('within_days must be 0 or more, not %d' % p['within_days'])
    for role in p['roles'] or []:
        if role == 'timestamp':
            raise TrustError('roles: the notary server re-signs the timestamp itself; it is not renewed here')
        if role not in ('root', 'targets', 'snapshot') and not role.startswith('targets/'):
            raise TrustError('roles: "%s" is not a role (root, targets, snapshot or targets/<name>)' % role)


def plan(p, roles, report, trust_dir, now):
    """What to re-sign: (roles to witness and publish, roles to re-sign here, {role: why not now}, the passphrases
    needed, the roles whose key the trust directory lacks, every role the run signs)."""
    deferred, need, missing = {}, set(), []
    due = []
    for role in report['due']:
        if p['roles'] and role not in p['roles']:
            continue
        lifetime = datetime.timedelta(days=LIFETIME_DAYS.get(role, DELEGATION_DAYS))
        if parse_time(report['roles'][role]['expires']) > now + lifetime - FRESH:
            # re-signed within the last minute: a re-sign now would not move its expiry (a window longer than the
            # role's lifetime is one no re-sign gets it out of, so this is what makes a second run a no-op)
            deferred[role] = ('expires %s, within a minute of what a re-sign now would give: nothing to gain (its '
                              'lifetime is %d days)' % (report['roles'][role]['expires'], lifetime.days))
        else:
            due.append(role)
    witness = [r for r in due if r == 'targets' or r.startswith('targets/')]
    resign = []
    expired = report['roles']
    snapshot_local = bool(local_key_ids(*role_keys(roles, 'snapshot') + (trust_dir,)))
    # an expired targets, or an expired snapshot of ours, the notary client refuses to update: re-signed here
    if 'targets' in due and expired['targets']['expired']:
        resign.append('targets')
        witness.remove('targets')
    if snapshot_local and (resign or ('snapshot' in due and expired['snapshot']['expired'])):
        resign.append('snapshot')  # a new targets needs a snapshot that points at it
    elif 'snapshot' in due and not witness and not resign:
        witness.append('targets')  # any publish re-signs the snapshot (here, or on the server)
    if 'root' in due:
        if expired['root']['expired']:
            raise TrustError('the root metadata of this repository expired on %s; neither the notary client nor '
                             'this module can renew an expired root' % expired['root']['expires'])
        if parse_time(expired['root']['expires']) >= six_months_on(now):
            deferred['root'] = ('expires %s: the notary client re-signs root only within six months of its expiry; '
                                'a run from %s renews it' % (expired['root']['expires'], format_time(
                                    parse_time(expired['root']['expires']) - (six_months_on(now) - now))))
        elif not witness and not resign:
            witness.append('targets')  # root is re-signed by the publish
    signing = set(witness) | set(resign)
    if witness and 'root' in due and 'root' not in deferred:
        signing.add('root')  # the publish re-signs it (within six months of its expiry)
    if witness and snapshot_local:
        signing.add('snapshot')  # the publish re-signs it
    for role in sorted(signing):
        if not local_key_ids(*role_keys(roles, role) + (trust_dir,)):
            missing.append(role)
        need.add('root' if role == 'root' else 'snapshot' if role == 'snapshot' else
                 'targets' if role == 'targets' else 'signer')
    return witness, resign, deferred, need, missing, signing


def check_passphrases(p, need, missing, trust_dir, gun):
    if missing:
        raise TrustError('re-signing %s needs the private key of %s in %s/private; nothing was changed (give roles '
                         'to renew only what this trust directory holds)' % (gun, ', '.join(missing), trust_dir))
    names = {'root': 'root_passphrase', 'targets': 'repository_passphrase', 'snapshot': 'snapshot_passphrase',
             'signer': 'signer_passphrase'}
    absent = [names[n] for n in sorted(need) if not p[names[n]]]
    if absent:
        raise TrustError('re-signing %s needs %s; nothing was changed' % (gun, ', '.join(absent)))


def resign_expired(module, notary, gun, roles, resign, passphrases):
    """Re-sign and upload the top-level roles the notary client can no longer update (see _tuf_sign)."""
    now = utc_now()
    files = {}
    for role in ('targets', 'snapshot'):
        if role not in resign:
            continue
        signed = dict(roles[role], version=roles[role]['version'] + 1,
                      expires=format_time(now + datetime.timedelta(days=LIFETIME_DAYS[role])))
        if role == 'snapshot' and 'targets' in files:
            signed['meta'] = dict(signed['meta'], targets=_tuf_sign.file_meta(signed['meta']['targets'], files['targets']))
        keys, key_ids = role_keys(roles, role)
        key_id, file_id = sorted(local_key_ids(keys, key_ids, notary.trust_dir).items())[0]
        key = _tuf_sign.load_private_key(module, notary.trust_dir, file_id, passphrases[role])
        files[role] = _tuf_sign.sign(signed, key_id, key)
    content_type, body = _tuf_sign.multipart(files)
    try:
        notary.request('POST', '/v2/%s/_trust/tuf/' % gun, body=body, content_type=content_type)
    except TrustError as exc:
        raise TrustError('uploading the re-signed %s of %s failed; nothing was changed: %s'
                         % (' and '.join(sorted(files)), gun, exc))


def witness_and_publish(notary, gun, witness, retries):
    """Witness the roles and publish; return how many publishes the server refused first."""
    saved = private_keys(notary.trust_dir)
    try:
        return notary.change(gun, [['witness', gun] + witness], 'renewing %s of %s' % (', '.join(witness), gun), retries)
    except TrustError as exc:
        put_back_private_keys(notary.trust_dir, saved)
        raise TrustError('%s (nothing was published)' % explain_passphrase_failure(str(exc)))


def predicted(report, role, now):
    days = LIFETIME_DAYS.get(role, DELEGATION_DAYS)
    return dict(expires=format_time(now + datetime.timedelta(days=days)), version=report['roles'][role]['version'] + 1)


def run(module):
    p = module.params
    check_input(p)
    gun = split_repository(p['repository'])
    repository = p['repository_passphrase']
    passphrases = {'root': p['root_passphrase'], 'targets': repository,
                   'snapshot': p['snapshot_passphrase'] or repository, 'delegation': p['signer_passphrase'] or repository}
    p['snapshot_passphrase'], p['signer_passphrase'] = passphrases['snapshot'], passphrases['delegation']
    notary = NotaryCLI(module, passphrases, gun)
    notary.check_server()
    roles = read_roles(notary.metadata, gun)
    if roles is None:
        raise TrustError('%s has no trust data on %s' % (gun, notary.server_url()))
    now = utc_now()
    report = expiry_report(roles, p['within_days'], now)
    witness, resign, deferred, need, missing, signing = plan(p, roles, report, notary.trust_dir, now)
    method = 'resign' if resign else 'publish' if witness else 'none'
    result = dict(changed=method != 'none', method=method, deferred=deferred, renewed={}, expiry=report,
                  publish_refusals=0)
    if method == 'none':
        return dict(result, diff=dict(before={}, after={}))
    check_passphrases(p, need, missing, notary.trust_dir, gun)
    # the roles this run re-signs (the snapshot only where it is due or ours; root only when due)
    renewing = sorted(r for r in signing if r in report['due'] or r in resign)
    after = dict((role, predicted(report, role, now)) for role in renewing)
    if not module.check_mode:
        if resign:
            resign_expired(module, notary, gun, roles, resign, passphrases)
        if witness:
            try:
                result['publish_refusals'] = witness_and_publish(notary, gun, witness, publish_retries(p))
            except TrustError as exc:
                if resign:
                    raise TrustError('%s; the expired %s was re-signed and uploaded before this'
                                     % (exc, ' and '.join(resign)), changed=True, method=method)
                raise
        result['expiry'] = expiry_report(read_roles(notary.metadata, gun), p['within_days'])
        after = dict((role, dict(expires=result['expiry']['roles'][role]['expires'],
                                 version=result['expiry']['roles'][role]['version'])) for role in renewing)
    before = dict((role, dict(expires=report['roles'][role]['expires'], version=report['roles'][role]['version']))
                  for role in renewing)
    result['renewed'] = dict((role, dict(after[role], old_expires=before[role]['expires'],
                                         old_version=before[role]['version'])) for role in renewing)
    result['diff'] = dict(before=before, after=after)
    return result


def main():
    argument_spec = dict(
        repository=dict(type='str', required=True),
        within_days=dict(type='int', default=90),
        roles=dict(type='list', elements='str'),
    )
    for shared in (GROUP_ARGS, PASSPHRASE_ARGS, PUBLISH_ARGS):
        argument_spec.update(shared)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
