# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # What a module acts on (module_utils._options.TARGET_ARGS): trust_sign and trust_pull.
    DOCUMENTATION = r'''
options:
  images:
    description:
      - Tags to act on, each an image reference C([host[:port]/]name:tag), all of one repository. Mutually exclusive
        with I(repository).
      - The alias I(image) (one reference) is deprecated and will be removed in 2.0.0.
    type: list
    elements: str
    aliases: [image]
  repository:
    description:
      - The repository, C([host[:port]/]name), whose I(tags) to act on. Mutually exclusive with I(images).
    type: str
  tags:
    description:
      - Tags of I(repository). Required with I(repository).
    type: list
    elements: str
'''
