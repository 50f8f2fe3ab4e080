# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # The directories and files of file_set and stack_container (module_utils._file_set.FILE_SET_ARGS).
    DOCUMENTATION = r'''
options:
  directories:
    description: Directories to create or fix, in order (parents first). Missing parents are created too.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: User name or uid; unset, the owner is left alone (root for a new directory).
        type: str
      group:
        description: Group name or gid; unset, the primary group of I(owner) (when set).
        type: str
      mode:
        description: Octal mode, as a string such as C("0750").
        type: str
        required: true
  files:
    description: Files and their content.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file; its directory must exist or be listed in I(directories).
        type: path
        required: true
      content:
        description: The whole content of the file. Never logged.
        type: str
        required: true
      owner:
        description: User name or uid; unset, the owner is left alone (root for a new file).
        type: str
      group:
        description: Group name or gid; unset, the primary group of I(owner) (when set).
        type: str
      mode:
        description: Octal mode, as a string such as C("0600").
        type: str
        required: true
'''
