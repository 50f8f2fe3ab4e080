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

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import (
    NAME_RE, STACK_ARGUMENT_SPEC, STACK_LABEL as LABEL, check_stack, docker_cli as docker)


def existing(module):
    """{full name: {'internal': bool, 'labels': {...}}} of every network the daemon has."""
    found = {}
    for line in docker(module, ['network', 'ls', '--no-trunc', '--format', '{{json .}}']).splitlines():
        if not line.strip():
            continue
        net = json.loads(line)
        labels = dict(item.split('=', 1) for item in (net.get('Labels') or '').split(',') if '=' in item)
        found[net['Name']] = {'internal': str(net.get('Internal')).lower() == 'true', 'labels': labels}
    return found


def run(module):
    stack = module.params['stack']
    check_stack(stack)
    prefix = stack + '_'
    found = existing(module)
    wanted, wrong = [], []
    for net in module.params['networks']:
        full = prefix + net['name']
        if not NAME_RE.match(full):
            raise TrustError('network name "%s" is not a valid docker network name' % net['name'])
        have = found.get(full)
        if have is None:
            wanted.append((full, net['internal']))
        elif have['internal'] != net['internal'] or have['labels'].get(LABEL) != stack:
            wrong.append('%s (internal %s, label %s=%s; wanted internal %s, label %s=%s)' % (
                full, str(have['internal']).lower(), LABEL, have['labels'].get(LABEL, ''),
                str(net['internal']).lower(), LABEL, stack))
    if wrong:
        raise TrustError('these networks exist but are not as the stack needs them, and recreating them would cut '
                         'their containers off: %s. Remove them (docker network rm, after stopping the containers '
                         'on them) and run again.' % '; '.join(wrong))
    if not module.check_mode:
        made = []
        for full, internal in wanted:
            docker(module, ['network', 'create', '--label', '%s=%s' % (LABEL, stack)]
                   + (['--internal', full] if internal else [full]), changed=bool(made), created=list(made))
            made.append(full)
    networks = dict((name[len(prefix):], info['internal']) for name, info in found.items()
                    if name.startswith(prefix) and info['labels'].get(LABEL) == stack)
    networks.update((full[len(prefix):], internal) for full, internal in wanted)
    created = [full for full, dummy in wanted]
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
