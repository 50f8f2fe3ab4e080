# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: trusted_digest
short_description: Resolve image tags to the digests Docker Content Trust says they are signed with
version_added: 0.5.0
description:
  - For each term C(registry[:port]/name:tag), returns C(registry[:port]/name@sha256:<digest>), the digest that the
    notary server's trust data signs the tag with, verified by the notary CLI with the pinned root keys and the CA.
    Deploy that reference (with M(community.docker.docker_container), compose or podman) and the host runs exactly the
    signed content, whatever its docker CLI enforces (docker CLI 29 enforces nothing).
  - Fails closed, naming the tag and the reason, when the tag is unsigned, signed only by someone else than
    I(signer), the repository's root is not the pinned one, the metadata has expired, or the server is
    unreachable, not trusted or refuses the read. The playbook then stops before anything is deployed.
  - Runs on the controller. One notary CLI call per repository, whatever the number of tags.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.verify
options:
  _terms:
    description: Tags to resolve, C([host[:port]/]name:tag).
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Run exactly the signed content of team/app:1.0
  community.docker.docker_container:
    name: app
    image: "{{ lookup('dct.trust_stack.trusted_digest', 'registry.example.com:5000/team/app:1.0',
                      server='https://notary.example.com:4443', ca_cert='/etc/dct/ca.crt',
                      pins={'registry.example.com:5000/team/*': [vault_team_root_key_id]}, disable_tofu=true) }}"

- name: Resolve several tags at once, signed by the release signer
  ansible.builtin.set_fact:
    images: "{{ query('dct.trust_stack.trusted_digest', 'localhost:5000/team/app:1.0', 'localhost:5000/team/db:2.1',
                      signer='release', notary_config='~/.notary/config.json') }}"
'''

RETURN = r'''
_raw:
  description: For each term, C(repository@sha256:<digest>) of the signed content.
  type: list
  elements: str
  sample: ["localhost:5000/team/app@sha256:9a1d3b3c3faebfbbb073973776abfd6dd3fb397fe1c0a896f2f1918bc752c831"]
'''

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.dct.trust_stack.plugins.module_utils._cli import local_runner
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._options import (
    COLLECTION, REMOVED_IN, VERIFY_ARGS, with_fallbacks)
from ansible_collections.dct.trust_stack.plugins.module_utils._verify import verify_tags

display = Display()


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        for name, option in VERIFY_ARGS.items():
            for old in set(option.get('aliases') or []) & set(kwargs):
                display.deprecated('dct.trust_stack.trusted_digest: the option %s is renamed %s' % (old, name),
                                   version=REMOVED_IN, collection_name=COLLECTION)
        self.set_options(var_options=variables, direct=kwargs)
        params = with_fallbacks(dict((name, self.get_option(name)) for name in VERIFY_ARGS), VERIFY_ARGS)
        for name in ('notary_config', 'cache_dir', 'ca_cert'):
            if params[name]:
                params[name] = os.path.expanduser(params[name])
        try:
            resolved = verify_tags(local_runner, params, terms)
        except TrustError as exc:
            raise AnsibleLookupError('dct.trust_stack.trusted_digest: %s' % exc)
        return ['%s@%s' % (resolved[ref]['repository'], resolved[ref]['digest']) for ref in terms]
