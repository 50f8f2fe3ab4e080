#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: trust_info
short_description: Read the Docker Content Trust data of repositories and tags
version_added: 0.1.0
description:
  - Runs C(docker trust inspect) once per repository and returns its signed tags, signers and
    administrative keys, parsed. Changes nothing, also in check mode.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.trust
  - dct.trust_stack.trust.server
  - dct.trust_stack.attributes
options:
  images:
    description:
      - Repositories (C(localhost:5000/team/app)) or tags (C(localhost:5000/team/app:1.0)) to read.
      - Tags of one repository share one C(docker trust inspect) call.
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    details: Read-only; runs in check mode too.
  diff_mode:
    support: none
'''

EXAMPLES = r'''
- name: Read the trust data of a repository
  dct.trust_stack.trust_info:
    images:
      - localhost:5000/team/app
    server: https://localhost:4443
  register: trust

- name: Show who signed 1.0
  ansible.builtin.debug:
    msg: "{{ trust.repositories['localhost:5000/team/app'].signed_tags['1.0'].signers }}"
'''

RETURN = r'''
repositories:
  description: Per repository, its trust data; C(exists) is false when it has none yet.
  returned: always
  type: dict
  contains:
    exists:
      description: Whether the repository has trust data on the server.
      type: bool
    signed_tags:
      description: Per signed tag, its C(digest) (hex sha256) and C(signers).
      type: dict
    signers:
      description: Per signer (delegation), the sorted key IDs.
      type: dict
    administrative_keys:
      description: Per administrative role (Root, Repository), the sorted key IDs.
      type: dict
    root_key_ids:
      description:
        - The root key IDs of C(root.json)'s root role, as verified by the docker CLI, which is what notary's trust pinning
          compares. Give them to M(dct.trust_stack.trust_client) (C(trust_client_trust_pins)),
          M(dct.trust_stack.trust_pull) and the M(dct.trust_stack.trusted_digest) lookup as C(pins).
      type: list
      elements: str
    targets_key_ids:
      description: The key IDs of the targets (repository) role in C(root.json).
      type: list
      elements: str
  sample:
    localhost:5000/team/app:
      exists: true
      signed_tags:
        "1.0": {digest: 3c4e..., signers: [alice]}
      signers: {alice: [35a8...]}
      administrative_keys: {Root: [3b01...], Repository: [2112...]}
      root_key_ids: [3b01...]
      targets_key_ids: [2112...]
tags:
  description: Per requested tag (C(repository:tag)), its signed digest and signers, or null when unsigned.
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TRUST_COMMON_ARGS, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._references import split_reference
from ansible_collections.dct.trust_stack.plugins.module_utils._clients import TrustCLI, signed_tags, signer_keys
from ansible_collections.dct.trust_stack.plugins.module_utils._verify import cached_root_roles


def describe(data, trust_dir, repository):
    if not data:
        return dict(exists=False, signed_tags={}, signers={}, administrative_keys={}, root_key_ids=[], targets_key_ids=[])
    admin = dict((k['Name'], sorted(key['ID'] for key in k.get('Keys') or [])) for k in data.get('AdministrativeKeys') or [])
    roles = cached_root_roles(trust_dir, repository)  # the docker CLI just verified and cached it
    return dict(exists=True, signed_tags=signed_tags(data), signers=signer_keys(data), administrative_keys=admin,
                root_key_ids=sorted(roles['root']['keyids']), targets_key_ids=sorted(roles['targets']['keyids']))


def run(module):
    wanted = [(ref,) + split_reference(ref) for ref in module.params['images']]
    cli = TrustCLI(module)
    repositories = {}
    for dummy, repository, dummy_tag in wanted:
        if repository not in repositories:
            repositories[repository] = describe(cli.inspect(repository), cli.trust_dir, repository)
    tags = {}
    for dummy, repository, tag in wanted:
        if tag:
            tags['%s:%s' % (repository, tag)] = repositories[repository]['signed_tags'].get(tag)
    return dict(changed=False, repositories=repositories, tags=tags)


def main():
    argument_spec = dict(images=dict(type='list', elements='str', required=True))
    argument_spec.update(TRUST_COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
