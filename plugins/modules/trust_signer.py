#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_signer
short_description: Add or remove a signer (delegation) of a repository's Docker Content Trust data
version_added: 0.1.0
description:
  - Makes the signer I(signer) of I(repository) hold exactly the keys in I(keys) (I(state=present)), or
    removes it (I(state=absent)), with the notary CLI on the docker trust directory (C(notary delegation),
    C(notary witness), C(notary publish)). A new signer is added as C(docker trust signer add) adds it, with roles
    C(targets/<signer>) and C(targets/releases), each with the keys and every path. No docker CLI is needed.
  - Compares the TUF key IDs of I(keys), computed locally, with the signers the repository's trust data (read with
    C(notary list), verified by notary) has, and publishes nothing when they already match.
  - A repository with no trust data yet is initialized first, as C(docker trust) does it (the trust directory's root
    key, or a new one; a new targets key; the snapshot key managed by the server); root and repository passphrases
    needed.
  - B(Replacing a key) (the signer holds a key that is not in I(keys), say a leaked or lost one). The new
    keys are added to the signer and to C(targets/releases), the others removed, and the signer's
    metadata is re-signed with the new key, so every tag the signer had signed stays signed and keeps
    verifying; they are returned in RV(resigned_tags). The private key of a new key must be in the trust
    directory (load it with M(dct.trust_stack.trust_key) first). If the old key leaked and you distrust
    a tag it signed, revoke that tag with M(dct.trust_stack.trust_sign) I(state=absent) and sign it again.
  - B(Removing a signer) drops its signatures, so tags that only this signer had signed are unsigned
    afterwards (returned in RV(unsigned_tags)) and a content-trust pull of them fails until someone signs
    them again. Adding the same signer back later starts it with no signed tags.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
  - dct.trust_stack.trust.publish
options:
  repository:
    description: The repository, C([host[:port]/]name).
    type: str
    required: true
  signer:
    description:
      - The signer name; it must match C(^[a-z0-9][a-z0-9_-]*$) and must not be C(releases).
    type: str
    required: true
    aliases: [name]
  keys:
    description:
      - Paths of the signer's public keys or certificates (PEM), on the managed host. Required with I(state=present).
    type: list
    elements: path
  state:
    description: C(present) adds or updates the signer, C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  root_passphrase:
    description: Passphrase of the repository's root key (needed to initialize a repository).
    type: str
  repository_passphrase:
    description: Passphrase of the repository's targets key (needed to change its signers).
    type: str
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: the signer's key IDs before and after.
seealso:
  - module: dct.trust_stack.trust_key
  - module: dct.trust_stack.trust_sign
'''

EXAMPLES = r'''
- name: Make alice a signer of the repository
  dct.trust_stack.trust_signer:
    repository: localhost:5000/team/app
    signer: alice
    keys: [/home/ci/keys/alice.pub]
    server: https://localhost:4443
    root_passphrase: "{{ vault_root_passphrase }}"
    repository_passphrase: "{{ vault_repository_passphrase }}"

- name: Remove bob
  dct.trust_stack.trust_signer:
    repository: localhost:5000/team/app
    signer: bob
    state: absent
    repository_passphrase: "{{ vault_repository_passphrase }}"
'''

RETURN = r'''
key_ids:
  description: The signer's key IDs after the run (empty when absent).
  returned: always
  type: list
  elements: str
  sample: ["35a87de66d878f39b0f1ac1f80b8d8eb150f7cfa4c3b870cb2137b4084b6af01"]
actions:
  description: What was done, or would be done in check mode.
  returned: always
  type: list
  elements: str
unsigned_tags:
  description:
    - Tags that only this signer had signed, when the run removes (or, in check mode, would remove) the
      signer. They are unsigned afterwards; sign them again with M(dct.trust_stack.trust_sign).
  returned: always
  type: list
  elements: str
  sample: ["1.0", "latest"]
resigned_tags:
  description:
    - Tags the signer had signed, when the run replaces (or would replace) its keys; they are re-signed
      with the new key and stay signed.
  returned: always
  type: list
  elements: str
  sample: ["1.0", "latest"]
publish_refusals:
  description:
    - When the signer's keys changed or it was removed, how many publishes of that change the notary server refused
      (another signer published first, or the server could not write) before the one that went through; each was
      tried again on the newest metadata (I(publish_retries)). 0 when nothing was published.
  type: int
  returned: always
  sample: 1
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, publish_retries, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._options import GROUP_ARGS, PASSPHRASE_ARGS, PUBLISH_ARGS, alias
from ansible_collections.dct.trust_stack.plugins.module_utils._references import check_signer_name, split_repository
from ansible_collections.dct.trust_stack.plugins.module_utils._keys import check_root_passphrase, key_id_from_file, keys_of_role
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import NotaryCLI
from ansible_collections.dct.trust_stack.plugins.module_utils._parsers import RELEASES, signed_tags, signer_keys


def plan(module, repository, data, current, notary, aliases):
    """(actions, publishes, tags) to make the signer match: publishes is a list of notary steps, each list staged and
    published on its own, in order; tags are those the change unsigns (removal) or re-signs (key replacement)."""
    p = module.params
    role = 'targets/' + p['signer']
    tags = signed_tags(data)
    # IDs the signer holds that belong to none of the wanted keys, and the key files it lacks
    extra = [c for c in current if not any(c in ids for ids in aliases)]
    missing = [path for path, ids in zip(p['keys'] or [], aliases) if not any(i in current for i in ids)]

    if p['state'] == 'absent':
        if not current:
            return [], [], []
        # what `docker trust signer remove` does (docker CLI 28's returns 0 and removes nothing)
        steps = [['delegation', 'remove', '--yes', repository, RELEASES] + current,
                 ['delegation', 'remove', '--yes', repository, role]]
        only_this = sorted(t for t, entry in tags.items() if entry['signers'] == [p['signer']])
        return ['remove signer %s' % p['signer']], [steps], only_this

    if not extra and not missing:
        return [], [], []
    if current:
        # replace keys in place, then re-sign the signer's metadata (and releases) with the new key, so
        # its tags stay signed and the role's version goes on; that needs the private key of a kept key
        local = set(keys_of_role(notary.trust_dir, p['signer']))
        if not any(local.intersection(ids) for ids in aliases):
            raise TrustError('no private key of the listed keys of signer "%s" is in %s/private: load one with '
                             'dct.trust_stack.trust_key first, so the signer\'s tags can be re-signed'
                             % (p['signer'], notary.trust_dir))
        steps = []
        if missing:
            steps += [['delegation', 'add', '--all-paths', repository, r] + missing for r in (role, RELEASES)]
        if extra:
            steps += [['delegation', 'remove', '--yes', repository, r] + extra for r in (role, RELEASES)]
        steps.append(['witness', repository, role, RELEASES])
        resigned = sorted(t for t, entry in tags.items() if p['signer'] in entry['signers'])
        actions = ['replace keys of signer %s: add %s, remove %s' % (
            p['signer'], ', '.join(os.path.basename(m) for m in missing) or '-', ', '.join(e[:12] for e in extra) or '-')]
        if resigned:
            actions.append('re-sign with the new key: %s' % ', '.join(resigned))
        return actions, [steps], resigned

    actions = []
    if data is None:
        if not p['root_passphrase'] or not p['repository_passphrase']:
            raise TrustError('%s has no trust data yet: initializing it needs root_passphrase and '
                             'repository_passphrase' % repository)
        check_root_passphrase(module, notary.trust_dir, p['root_passphrase'], repository)
        actions.append('initialize %s' % repository)
    actions.append('add signer %s with %s' % (p['signer'], ', '.join(sorted(ids[0][:12] for ids in aliases))))
    # what `docker trust signer add` stages: the signer's role and targets/releases, each with the keys, every path
    adding = [['delegation', 'add', '--all-paths', repository, r] + list(p['keys']) for r in (role, RELEASES)]
    # a signer removed earlier left its metadata on the server; its version must go on, its tags must not
    # come back: take them out of the signer's role and releases
    # (a role the snapshot does not list never existed: notary-server 0.7 answers 500, not 404, for its metadata)
    snapshot = notary.metadata(repository, 'snapshot') if data is not None else None
    stale = notary.metadata(repository, role) if role in ((snapshot or {}).get('meta') or {}) else None
    steps = []
    if stale is not None:
        stale_tags = sorted(stale.get('targets') or {})
        steps.append(['witness', repository, role, RELEASES])
        for t in stale_tags:
            steps += [['remove', repository, t, '--roles', r] for r in (role, RELEASES)]
        actions.append('clear what the removed signer %s had signed: %s' % (p['signer'], ', '.join(stale_tags) or '-'))
    # the signer's role exists once the first publish made it: only then can its old metadata be witnessed
    return actions, [adding] + ([steps] if steps else []), []


def run(module):
    p = module.params
    repository = split_repository(p['repository'])
    check_signer_name(p['signer'])
    aliases = []
    if p['state'] == 'present':  # required_if makes sure keys are given
        for path in p['keys']:
            if not os.path.isfile(path):
                raise TrustError('key file %s does not exist' % path)
            aliases.append(key_id_from_file(path, aliases=True))

    passphrase = p['repository_passphrase']
    notary = NotaryCLI(module, {'root': p['root_passphrase'], 'targets': passphrase, 'snapshot': passphrase,
                                'delegation': passphrase}, repository)
    data = notary.inspect(repository)
    current = signer_keys(data).get(p['signer'], [])
    actions, publishes, tags = plan(module, repository, data, current, notary, aliases)
    refused = 0

    if actions and not module.check_mode:
        if not passphrase:
            raise TrustError('changing the signers of %s needs repository_passphrase' % repository)
        notary.check_server()  # a clear error before the first change when the server is unhealthy
        if data is None:  # the signer's delegations go into the new repository's first publish
            notary.initialize(repository, publishes.pop(0))
        for steps in publishes:
            refused += notary.change(repository, steps, 'changing signer %s of %s' % (p['signer'], repository),
                                     publish_retries(p))
        after = signer_keys(notary.inspect(repository)).get(p['signer'], [])
    elif actions and p['state'] == 'present':
        after = sorted(set(ids[0] for ids in aliases))
    elif p['state'] == 'present':
        after = current
    else:
        after = []
    return dict(changed=bool(actions), actions=actions, key_ids=after, publish_refusals=refused,
                unsigned_tags=tags if p['state'] == 'absent' else [],
                resigned_tags=tags if p['state'] == 'present' else [],
                diff=dict(before={p['signer']: current}, after={p['signer']: after}))


def main():
    argument_spec = dict(
        repository=dict(type='str', required=True),
        signer=alias(dict(type='str', required=True), 'name'),
        keys=dict(type='list', elements='path', no_log=False),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        root_passphrase=PASSPHRASE_ARGS['root_passphrase'],
        repository_passphrase=PASSPHRASE_ARGS['repository_passphrase'],
    )
    for shared in (GROUP_ARGS, PUBLISH_ARGS):
        argument_spec.update(shared)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[('state', 'present', ('keys',))])
    run_module(module, run)


if __name__ == '__main__':
    main()
