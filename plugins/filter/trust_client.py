# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trust_client role's data: what its one look at a host found (trust_client_host), and the paths it makes a
client's (trust_client_paths)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json

from ansible.errors import AnsibleFilterError


def trust_client_host(lines):
    """What files/read_host.sh printed, as {'passwd': {user: [password, uid, gid, gecos, home, shell]}, 'docker_configs':
    {user: the JSON of ~/.docker/config.json}}."""
    found = {'passwd': {}, 'docker_configs': {}}
    for line in lines or []:
        kind, dummy, rest = line.partition(' ')
        if kind == 'passwd':
            fields = rest.split(':')
            found['passwd'][fields[0]] = fields[1:]
        elif kind == 'config':
            user, dummy, encoded = rest.partition(' ')
            try:
                found['docker_configs'][user] = json.loads(base64.b64decode(encoded).decode('utf-8')) if encoded else {}
            except ValueError as exc:
                raise AnsibleFilterError('the docker config of %s is not JSON: %s' % (user, exc))
    return found


def trust_client_paths(users, homes, notary_hostport, registry_ca_dirs):
    """The directories trust_client makes (the registry CA directories, root's, 0755; each user's .docker,
    .docker/tls, .docker/tls/<notary host:port> and .notary, the user's, 0700) and what state=absent removes (the
    registry CA directories, the profile script, each user's notary CA directory, .notary/ca.crt and config.json)."""
    directories = [{'path': path, 'owner': 'root', 'group': 'root', 'mode': '0755'} for path in registry_ca_dirs]
    absent = list(registry_ca_dirs) + ['/etc/profile.d/dct-trust.sh']
    for user in users:
        home = homes[user]
        directories += [{'path': '%s/%s' % (home, sub), 'owner': user, 'mode': '0700'}
                        for sub in ('.docker', '.docker/tls', '.docker/tls/' + notary_hostport, '.notary')]
        absent += ['%s/.docker/tls/%s' % (home, notary_hostport), home + '/.notary/ca.crt', home + '/.notary/config.json']
    return {'directories': directories, 'absent': absent}


class FilterModule(object):
    def filters(self):
        return {'trust_client_host': trust_client_host, 'trust_client_paths': trust_client_paths}
