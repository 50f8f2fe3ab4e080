# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
name: stack
short_description: The stack's shared settings, with their defaults stated once
version_added: 1.0.0
description:
  - Returns a setting every stack role shares, from the variable that sets it, else its default. The roles' defaults
    read them through this lookup, so each default is stated here only (docs/ARCHITECTURE.md, "Contracts between
    roles").
  - C(name) is C(trust_stack_name), else C(trust).
  - C(controller_dir) is C(trust_stack_controller_dir), else C(~/.dct-trust-stack/<name>) on the controller.
  - C(host_dir) is C(trust_stack_host_dir), else C(/etc/dct-trust-stack/<name>), the stack's directory on its hosts.
  - C(version) is this collection's version (C(MANIFEST.json) of an installed collection, C(galaxy.yml) of a checkout).
author:
  - dct.trust_stack developers (@dct-trust-stack)
options:
  _terms:
    description: The settings to return, C(name), C(controller_dir), C(host_dir) or C(version).
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Where the stack's generated credentials are
  ansible.builtin.debug:
    msg: "{{ lookup('dct.trust_stack.stack', 'controller_dir') }}/credentials"
'''

RETURN = r'''
_raw:
  description: The value of each setting asked for.
  type: list
  elements: str
'''

import json
import os
import re

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DEFAULT_NAME = 'trust'
# the collection's root: plugins/lookup/stack.py is three levels below it
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_version(root=COLLECTION_ROOT):
    """This collection's version: MANIFEST.json (what ansible-galaxy installs), else galaxy.yml (a checkout)."""
    try:
        with open(os.path.join(root, 'MANIFEST.json')) as handle:
            return json.load(handle)['collection_info']['version']
    except (IOError, OSError, ValueError, KeyError):
        pass
    try:
        with open(os.path.join(root, 'galaxy.yml')) as handle:
            found = re.search(r'^version:\s*["\']?([^"\'\s#]+)', handle.read(), re.M)
    except (IOError, OSError) as exc:
        raise AnsibleLookupError('dct.trust_stack.stack: cannot read the collection version in %s: %s' % (root, exc))
    if not found:
        raise AnsibleLookupError('dct.trust_stack.stack: %s/galaxy.yml names no version' % root)
    return found.group(1)


class LookupModule(LookupBase):

    def setting(self, variables, name):
        """The variable name's value, templated, or None when it is unset."""
        if name not in variables or variables[name] is None:
            return None
        return self._templar.template(variables[name])

    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        stack = self.setting(variables, 'trust_stack_name') or DEFAULT_NAME
        values = []
        for term in terms:
            if term == 'name':
                values.append(stack)
            elif term == 'controller_dir':
                values.append(self.setting(variables, 'trust_stack_controller_dir')
                              or os.path.join(os.path.expanduser('~'), '.dct-trust-stack', stack))
            elif term == 'host_dir':
                values.append(self.setting(variables, 'trust_stack_host_dir') or '/etc/dct-trust-stack/' + stack)
            elif term == 'version':
                values.append(collection_version())
            else:
                raise AnsibleLookupError('dct.trust_stack.stack: no setting "%s" (name, controller_dir, host_dir, version)' % term)
        return values
