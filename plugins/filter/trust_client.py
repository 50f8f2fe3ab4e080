# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trust_client role's data: what its one look at a host found (trust_client_host), the paths it makes a
client's (trust_client_paths), and the files that make podman, skopeo and CRI-O require the signature mirror's
signatures for the stack's registry (trust_client_signature_policy)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json

from ansible.errors import AnsibleFilterError


def trust_client_host(lines):
    """What files/read_host.sh printed, as {'passwd': {user: [password, uid, gid, gecos, home, shell]}, 'docker_configs':
    {user: the JSON of ~/.docker/config.json}, 'docker_config_texts': {user: its text, as the file has it}}."""
    found = {'passwd': {}, 'docker_configs': {}, 'docker_config_texts': {}, 'files': {}}
    for line in lines or []:
        kind, dummy, rest = line.partition(' ')
        if kind == 'passwd':
            fields = rest.split(':')
            found['passwd'][fields[0]] = fields[1:]
        elif kind == 'file':
            path, dummy, encoded = rest.partition(' ')
            found.setdefault('files', {})[path] = base64.b64decode(encoded).decode('utf-8')
        elif kind == 'config':
            user, dummy, encoded = rest.partition(' ')
            text = base64.b64decode(encoded).decode('utf-8') if encoded else ''
            found['docker_config_texts'][user] = text
            try:
                found['docker_configs'][user] = json.loads(text) if text else {}
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


POLICY = '/etc/containers/policy.json'
# what a host without a policy file gets besides the stack's registry: the default of Debian's containers-common
DEFAULT_POLICY = {'default': [{'type': 'insecureAcceptAnything'}]}


def trust_client_signature_policy(files, enforce, registry, key, lookaside):
    """{'files': [...], 'absent': [...]} for file_set: with enforce, the policy (the host's own, POLICY, kept with the
    stack's registry requiring a signedBy signature by the mirror key, its identity matching the repository; other
    registries as the host's policy says), a registries.d entry pointing the registry at the lookaside, the key, and
    a backup of the policy as it was (written once); without enforce, the policy as the backup says it was and
    nothing else of this. files: {path: text} of POLICY and the backup as the host has them; key: the armored key."""
    name = registry.replace(':', '-')
    backup = '%s.dct-%s.orig' % (POLICY, name)
    key_path = '/etc/containers/dct-%s-mirror.gpg' % name
    registries_d = '/etc/containers/registries.d/dct-%s.yaml' % name
    if not enforce:
        if backup not in files:
            return {'files': [], 'absent': []}
        original = json.loads(files[backup])['original']
        restored = [] if original is None else [{'path': POLICY, 'content': original, 'owner': 'root', 'group': 'root',
                                                 'mode': '0644'}]
        return {'files': restored, 'absent': [backup, key_path, registries_d] + ([POLICY] if original is None else [])}
    current = files.get(POLICY)
    try:
        policy = json.loads(current) if current else dict(DEFAULT_POLICY)
    except ValueError as exc:
        raise AnsibleFilterError('%s is not JSON: %s' % (POLICY, exc))
    policy.setdefault('transports', {}).setdefault('docker', {})[registry] = [{
        'type': 'signedBy', 'keyType': 'GPGKeys', 'keyPath': key_path, 'signedIdentity': {'type': 'matchRepository'}}]

    def entry(path, content, mode):
        return {'path': path, 'content': content, 'owner': 'root', 'group': 'root', 'mode': mode}
    return {'files': [
        entry(POLICY, json.dumps(policy, indent=2, sort_keys=True) + '\n', '0644'),
        entry(backup, files.get(backup) or json.dumps({'original': current}) + '\n', '0600'),
        entry(key_path, key, '0644'),
        entry(registries_d, 'docker:\n  %s:\n    lookaside: %s\n' % (registry, lookaside), '0644'),
    ], 'absent': []}


class FilterModule(object):
    def filters(self):
        return {'trust_client_host': trust_client_host, 'trust_client_paths': trust_client_paths,
                'trust_client_signature_policy': trust_client_signature_policy}
