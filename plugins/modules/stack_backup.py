#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack_backup
short_description: Take one encrypted backup set of a trust stack onto the controller
version_added: 0.9.0
description:
  - On the stack host, in one command - a dump of the notary databases (C(mariadb-dump --single-transaction) of all
    of them in one transaction, in the MariaDB container), then a C(tar) of the registry's storage (after the dump,
    so every digest the trust data names is in it; uploads in progress left out), each encrypted as it is read
    (C(openssl enc -aes-256-ctr -pbkdf2), a random salt per file) and checksummed (SHA-256) in the same pass.
  - The registry's storage is read from the host directory behind the registry container's
    C(/var/lib/docker-registry) (its volume or bind mount, as C(docker inspect) names it) when the stack host can
    read that directory; otherwise (a rootless engine's directory the connection user cannot read, for example)
    through C(docker exec ... tar).
  - Then, on the controller - fetches both parts (when the stack host is the controller, a local connection,
    moves them, as nothing travels), checks their SHA-256 against the stack host's, archives and
    encrypts I(controller_dir)'s C(pki) and C(credentials), and writes C(manifest.json) (what, when, the cipher, the
    SHA-256 and size of each part, a vaulted check value of the passphrase) into a new set directory of I(backup_dir), files
    0600 in 0700 directories. Keeps the I(keep) newest sets of I(stack) and removes older ones.
  - An action plugin - the controller side runs in the task itself, the stack host side is one command
    (docs/BENCHMARKS.md, row 7, measures it against a plain dump and C(tar)). The passphrase reaches the stack host
    in a file of the task's private temporary directory, never on a command line.
  - What the P(dct.trust_stack.stack_backup#role) role runs; a restore reads the set with that role's
    C(restore_controller) and C(restore) task files.
author:
  - dct.trust_stack developers (@dct-trust-stack)
options:
  stack:
    description: The stack's name (C(trust_stack_name)), the prefix of its containers and of its sets' names.
    type: str
    required: true
  databases:
    description: The notary databases to dump, in one transaction.
    type: list
    elements: str
    required: true
  passphrase:
    description: The set's passphrase. Vault it.
    type: str
    required: true
  backup_dir:
    description: Directory on the controller that holds the sets (made 0700 when missing).
    type: path
    required: true
  controller_dir:
    description: The stack's controller directory, whose C(pki) and C(credentials) go into C(controller.tar.enc).
    type: path
    required: true
  keep:
    description: How many sets of I(stack) to keep in I(backup_dir), the newest.
    type: int
    default: 7
  manifest:
    description: More entries for C(manifest.json) (the roles put the images' names there).
    type: dict
    default: {}
  signatures_dir:
    description:
      - The signature mirror's lookaside on the stack host (C(front_signatures_dir)), archived into
        C(signatures.tar.enc) as it is. The mirror key itself is in the credentials (C(controller.tar.enc)).
      - Unset, the stack has no lookaside and the set has no such part.
    type: path
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reports the set it would write and the sets it would remove, and writes nothing.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: The controller side runs in the action plugin; there is no module to run on the stack host.
'''

EXAMPLES = r'''
- name: Back up the stack trust
  dct.trust_stack.stack_backup:
    stack: trust
    databases: [notaryserver, notarysigner]
    passphrase: "{{ vault_backup_passphrase }}"
    backup_dir: ~/.dct-trust-stack/backups/trust
    controller_dir: ~/.dct-trust-stack/trust
'''

RETURN = r'''
set:
  description: The set's directory on the controller.
  returned: always
  type: str
  sample: /root/.dct-trust-stack/backups/trust/trust-20261205T010203123456Z
created:
  description: When the backup was taken (UTC, ISO 8601).
  returned: always
  type: str
files:
  description: The SHA-256 of each part of the set.
  returned: success, not in check mode
  type: dict
sizes:
  description: The size in bytes of each part of the set.
  returned: success, not in check mode
  type: dict
removed:
  description: The older sets removed to keep I(keep).
  returned: success
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dct.trust_stack.plugins.module_utils._stack_backup import STACK_BACKUP_ARGS


def main():
    # the work is the action plugin's (plugins/action/stack_backup.py); this runs only if that is bypassed
    module = AnsibleModule(argument_spec=STACK_BACKUP_ARGS, supports_check_mode=True)
    module.fail_json(msg='dct.trust_stack.stack_backup runs as an action plugin on the controller; run it as a task')


if __name__ == '__main__':
    main()
