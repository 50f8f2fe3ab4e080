# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # The options of the modules that work on a stack's docker objects (module_utils._options.STACK_ARGS).
    DOCUMENTATION = r'''
options:
  stack:
    description:
      - The stack's name - the value of the C(org.dct.trust_stack.stack) label of its containers and networks, and
        the prefix of their names (C(<stack>_<name>)).
      - Letters, digits, C(_), C(.) and C(-), starting with a letter or digit.
    type: str
    required: true
  docker_cli:
    description: The docker CLI to run, a name looked up in C(PATH) or a path.
    type: str
    default: docker
'''
