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
  - Makes the signer I(name) of I(repository) hold exactly the keys in I(keys) (I(state=present)), or
    removes it (I(state=absent)), with C(docker trust signer add) and C(docker trust signer remove).
  - Compares the TUF key IDs of I(keys), computed locally, with what C(docker trust inspect) shows, and
    publishes nothing when they already match.
  - A repository with no trust data yet is initialized first (root and repository passphrases needed).
  - When the signer holds a key that is not in I(keys), the signer is removed and added again with
    I(keys) only. Tags signed only by a removed key no longer verify; sign them again with
    M(dct.trust_stack.trust_sign).
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
  - dct.trust_stack.attributes
options:
  repository:
    description: The repository, C([host[:port]/]name).
    type: str
    required: true
  name:
    description:
      - The signer name; it must match C(^[a-z0-9][a-z0-9_-]*$) and must not be C(releases).
    type: str
    required: true
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
    name: alice
    keys: [/home/ci/keys/alice.pub]
    server: https://localhost:4443
    root_passphrase: "{{ vault_root_passphrase }}"
    repository_passphrase: "{{ vault_repository_passphrase }}"

- name: Remove bob
  dct.trust_stack.trust_signer:
    repository: localhost:5000/team/app
    name: bob
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
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils.trust import (
    TRUST_COMMON_ARGS, TrustCLI, TrustError, run_module, check_signer_name, key_id_from_file, signer_keys, split_reference)


def run(module):
    p = module.params
    repository, tag = split_reference(p['repository'])
    if tag:
        raise TrustError('repository "%s" must not carry a tag' % p['repository'])
    check_signer_name(p['name'])
    aliases = []
    if p['state'] == 'present':  # required_if makes sure keys are given
        for path in p['keys']:
            if not os.path.isfile(path):
                raise TrustError('key file %s does not exist' % path)
            aliases.append(key_id_from_file(path, aliases=True))
    wanted = sorted(set(ids[0] for ids in aliases))

    cli = TrustCLI(module, root_passphrase=p['root_passphrase'], repository_passphrase=p['repository_passphrase'])
    cli.check_server()
    data = cli.inspect(repository)
    signers = signer_keys(data)
    current = signers.get(p['name'], [])
    # IDs the signer holds that belong to none of the wanted keys
    extra = [c for c in current if not any(c in ids for ids in aliases)]
    # each wanted key is listed under one of its IDs, and nothing else is listed
    matches = (len(current) == len(aliases) and not extra
               and all(any(i in current for i in ids) for ids in aliases))
    actions = []
    if p['state'] == 'present' and not matches:
        if data is None:
            if not p['root_passphrase'] or not p['repository_passphrase']:
                raise TrustError('%s has no trust data yet: initializing it needs root_passphrase and '
                                 'repository_passphrase' % repository)
            actions.append('initialize %s' % repository)
        if extra:
            actions.append('remove signer %s (holds keys not listed)' % p['name'])
        actions.append('add signer %s with %s' % (p['name'], ', '.join(k[:12] for k in wanted)))
    elif p['state'] == 'absent' and p['name'] in signers:
        actions.append('remove signer %s' % p['name'])

    if actions and not module.check_mode:
        if not p['repository_passphrase']:
            raise TrustError('changing the signers of %s needs repository_passphrase' % repository)
        if any(a.startswith('remove') for a in actions):
            rc, out, err = cli.run(['trust', 'signer', 'remove', '--force', p['name'], repository])
            cli.fail_on(rc, out, err, 'docker trust signer remove %s %s' % (p['name'], repository))
        if p['state'] == 'present':
            args = ['trust', 'signer', 'add']
            for path in p['keys']:
                args += ['--key', path]
            rc, out, err = cli.run(args + [p['name'], repository])
            cli.fail_on(rc, out, err, 'docker trust signer add %s %s' % (p['name'], repository))
        after = signer_keys(cli.inspect(repository)).get(p['name'], [])
    elif p['state'] == 'present':
        after = current if matches else wanted
    else:
        after = []
    return dict(changed=bool(actions), actions=actions, key_ids=after,
                diff=dict(before={p['name']: current}, after={p['name']: after}))


def main():
    argument_spec = dict(
        repository=dict(type='str', required=True),
        name=dict(type='str', required=True),
        keys=dict(type='list', elements='path', no_log=False),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        root_passphrase=dict(type='str', no_log=True),
        repository_passphrase=dict(type='str', no_log=True),
    )
    argument_spec.update(TRUST_COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_if=[('state', 'present', ('keys',))])
    run_module(module, run)


if __name__ == '__main__':
    main()
