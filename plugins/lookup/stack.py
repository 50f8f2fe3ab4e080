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
author:
  - dct.trust_stack developers (@dct-trust-stack)
options:
  _terms:
    description: The settings to return, C(name) or C(controller_dir).
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

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

DEFAULT_NAME = 'trust'


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
            else:
                raise AnsibleLookupError('dct.trust_stack.stack: no setting "%s" (name, controller_dir)' % term)
        return values
