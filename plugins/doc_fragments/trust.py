# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    # The options every module of the action group dct.trust_stack.trust takes (module_utils._options.GROUP_ARGS), and
    # its attributes (each module states its check and diff support).
    DOCUMENTATION = r'''
options:
  server:
    description:
      - URL of the notary server.
      - Its CA must be at C(<config_dir>/tls/<host:port>/ca.crt), where the docker CLI looks for it too.
      - Unset, C(DOCKER_CONTENT_TRUST_SERVER) from the environment is used.
    type: str
  config_dir:
    description:
      - The docker client configuration directory (C(DOCKER_CONFIG)). Trust keys and metadata live
        in its C(trust/) subdirectory, the notary CA in C(tls/).
      - Defaults to C(~/.docker) of the user the module runs as.
    type: path
  timeout:
    description:
      - Seconds after which one CLI call or one request to a server is stopped and the module fails.
    type: int
    default: 120
  notary_cli:
    description: The notary CLI to run, a name looked up in C(PATH) or a path.
    type: str
    default: notary
  docker_cli:
    description:
      - The container CLI that finds local images and pushes them, a name looked up in C(PATH) or a path. C(docker)
        (any version; C(docker trust) is never run, so docker CLI 29 works), or C(podman) (or podman-docker's
        C(docker)).
      - A module that pushes nothing never runs it. Every module of the action group takes the option, so that
        C(module_defaults) can set it for all of them.
    type: str
    default: docker
notes:
  - Every read and change of trust data runs the notary CLI (Debian package C(notary)) on the docker trust directory,
    with its standard input closed and passphrases only in its environment (C(NOTARY_ROOT_PASSPHRASE),
    C(NOTARY_TARGETS_PASSPHRASE), C(NOTARY_SNAPSHOT_PASSPHRASE), C(NOTARY_DELEGATION_PASSPHRASE)), so it never
    prompts; a missing passphrase is an error that says so. The key files, roles and metadata are the ones
    C(docker trust) uses, so a repository signed here is read and signed by C(docker trust) too, and the other way
    round.
requirements:
  - the notary CLI (Debian package C(notary)), 0.6 or later
  - cryptography (Python) and openssl on the managed host
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
  action_group:
    description: Use C(group/dct.trust_stack.trust) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - dct.trust_stack.trust
'''

    # publish_retries of the modules that publish with the notary CLI
    PUBLISH = r'''
options:
  publish_retries:
    description:
      - How many more times a publish is tried after the notary server refused it because another signer published
        to the repository first, or because it could not write (a database deadlock, or the database node behind it
        went away, as when the writer of a Galera cluster changes; a front answering 502-504 because its
        notary-server was lost). Each try is on the newest metadata, after a random pause that grows with the
        attempt (0.1 to 0.4 s times the attempt).
      - With N jobs publishing to one repository at once, a job can lose to each of the others once, so N - 1 is
        enough when each job publishes once.
    type: int
    default: 8
'''
