#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: file_set
short_description: Make a set of directories and small files, or remove them, in one module run
version_added: 0.2.0
description:
  - Brings every listed directory and file to the wanted owner, group, mode and content, and removes
    the paths in I(absent), in one run on the managed host instead of one task per path.
  - What the roles of this collection use for their configuration files, certificates and keys; a
    re-run that finds everything in place changes nothing and writes nothing.
  - Files are written atomically (a temporary file in the same directory, then a rename).
  - Paths may start with C(~user/), which is that user's home directory.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.attributes
  - dct.trust_stack.file_set
options:
  absent:
    description: Paths to remove (a directory with everything under it).
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: the paths that change, with what changes (content is never shown).
'''

EXAMPLES = r'''
- name: Write a service's configuration, certificate and key
  dct.trust_stack.file_set:
    directories:
      - {path: /etc/dct-trust-stack/trust/registry, owner: root, group: "991", mode: "0750"}
    files:
      - {path: /etc/dct-trust-stack/trust/registry/config.yml, content: "{{ config }}", owner: "991", mode: "0644"}
      - {path: /etc/dct-trust-stack/trust/registry/registry.key, content: "{{ key }}", owner: "991", mode: "0600"}

- name: Give user builder the notary CA
  dct.trust_stack.file_set:
    directories:
      - {path: ~builder/.notary, owner: builder, mode: "0700"}
    files:
      - {path: ~builder/.notary/ca.crt, content: "{{ lookup('ansible.builtin.file', 'ca.crt') }}", owner: builder, mode: "0644"}
'''

RETURN = r'''
changed_paths:
  description: Every path that was (or, in check mode, would be) created, changed or removed.
  returned: always
  type: list
  elements: str
changed_files:
  description: The files among I(changed_paths) whose content changed or that were created.
  returned: always
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._file_set import FILE_SET_ARGS, FileSetError, apply


def run(module):
    return apply(module.params, module.check_mode)


def main():
    module = AnsibleModule(
        argument_spec=dict(FILE_SET_ARGS, absent=dict(type='list', elements='path', default=[])),
        supports_check_mode=True,
    )
    try:
        result = run(module)
    except (FileSetError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
