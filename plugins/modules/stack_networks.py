#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack_networks
short_description: Make the missing docker networks of a trust stack, in one module run
version_added: 0.6.0
description:
  - Lists the docker networks once and creates those of I(networks) that are missing, named
    C(<stack>_<name>) and labelled C(org.dct.trust_stack.stack=<stack>), with C(docker network create).
  - What the roles of this collection use for the stack's networks instead of one
    C(community.docker.docker_network) run per network (each costs about as much as the whole list here).
  - A network of that name that exists but is not as wanted (internal or not, or without the stack's label)
    is an error that names it, and nothing is created (recreating it would cut the containers on it off).
  - Removing networks is not this module's job; C(community.docker.docker_network) with C(state=absent) does it.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.attributes
  - dct.trust_stack.stack
options:
  networks:
    description: The networks the stack needs.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The network's name without the stack prefix.
        type: str
        required: true
      internal:
        description: Whether the network is internal (no route out of the host).
        type: bool
        default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: the networks that are (or would be) created.
  action_group:
    support: none
'''

EXAMPLES = r'''
- name: Make the notary-server's networks
  dct.trust_stack.stack_networks:
    stack: trust
    networks:
      - {name: backend, internal: true}
      - {name: signer, internal: true}
      - {name: db, internal: true}
'''

RETURN = r'''
created:
  description: The full names of the networks that were (or, in check mode, would be) created.
  returned: always
  type: list
  elements: str
  sample: [trust_backend]
networks:
  description: Every network of the stack after the run (in check mode, as a real run would leave them),
    by name without the stack prefix, to whether it is internal.
  returned: always
  type: dict
  sample: {front: false, backend: true}
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import STACK_ARGUMENT_SPEC, STACK_LABEL, check_stack
from ansible_collections.dct.trust_stack.plugins.module_utils._networks import make_missing


def run(module):
    stack = module.params['stack']
    check_stack(stack)
    prefix = stack + '_'
    wanted = [(prefix + net['name'], net['internal']) for net in module.params['networks']]
    created, found = make_missing(module, stack, wanted)
    networks = dict((name[len(prefix):], info['internal']) for name, info in found.items()
                    if name.startswith(prefix) and info['labels'].get(STACK_LABEL) == stack)
    networks.update((full[len(prefix):], internal) for full, internal in wanted if full in created)
    return dict(changed=bool(created), created=created, networks=networks,
                diff=dict(before='', after=''.join('network %s created\n' % name for name in created)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            STACK_ARGUMENT_SPEC,
            networks=dict(type='list', elements='dict', required=True,
                          options=dict(name=dict(type='str', required=True), internal=dict(type='bool', default=False))),
        ),
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == '__main__':
    main()
