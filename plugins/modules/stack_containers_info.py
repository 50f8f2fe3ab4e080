#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack_containers_info
short_description: Read the state of every container of a trust stack, in one module run
version_added: 0.9.0
description:
  - Reads the containers labelled C(org.dct.trust_stack.stack=<stack>) and the images they were made from with
    three docker CLI calls (C(docker ps), C(docker inspect), C(docker image inspect)), and returns, per service,
    what tells whether the container is still as the roles made it - running, its spec label, its image's ID
    against the ID its image name has now, its networks and aliases, its restart policy.
  - M(dct.trust_stack.stack_container) applies the same reading to the one container it runs.
  - Reads only; never changes anything.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.attributes
  - dct.trust_stack.stack
attributes:
  check_mode:
    support: full
  diff_mode:
    support: N/A
    details: it changes nothing.
  action_group:
    support: none
'''

EXAMPLES = r'''
- name: Read the lab stack's containers
  dct.trust_stack.stack_containers_info:
    stack: trust
  register: containers

- name: Say whether the registry runs
  ansible.builtin.debug:
    msg: "{{ containers.containers.registry.running | default(false) }}"
'''

RETURN = r'''
containers:
  description: The stack's containers, by the value of their C(org.dct.trust_stack.service) label.
  returned: always
  type: dict
  contains:
    name:
      description: The container's name.
      type: str
    running:
      description: Whether it runs (and is neither restarting nor paused).
      type: bool
    spec:
      description: Its C(org.dct.trust_stack.spec) label (the roles' hash of the options they made it with), or an
        empty string.
      type: str
    image:
      description: The image name it was made from.
      type: str
    image_current:
      description: Whether that name still points at the image the container runs (false after a rebuild).
      type: bool
    networks:
      description: Each network it is on, to the aliases it has there.
      type: dict
    restart_policy:
      description: Its restart policy's name.
      type: str
  sample:
    registry:
      name: trust_registry
      running: true
      spec: 5c1e...
      image: dct/registry:2.8.2
      image_current: true
      networks: {trust_backend: [registry-backend, 3f2a1b0c9d8e]}
      restart_policy: unless-stopped
'''

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._containers import SERVICE_LABEL, describe, image_ids
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import (
    STACK_ARGUMENT_SPEC, STACK_LABEL, check_stack, docker_cli)


def run(module):
    stack = module.params['stack']
    check_stack(stack)
    found = docker_cli(module, ['ps', '-aq', '--no-trunc', '--filter', 'label=%s=%s' % (STACK_LABEL, stack)]).split()
    inspected = json.loads(docker_cli(module, ['inspect'] + found)) if found else []
    ids = image_ids(module, sorted(set((c.get('Config') or {}).get('Image', '') for c in inspected) - {''}))
    containers = {}
    for info in inspected:
        service = ((info.get('Config') or {}).get('Labels') or {}).get(SERVICE_LABEL)
        if service:
            containers[service] = describe(info, ids)
    return dict(changed=False, containers=containers)


def main():
    module = AnsibleModule(
        argument_spec=dict(STACK_ARGUMENT_SPEC),
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == '__main__':
    main()
