# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A stack's containers as the docker CLI shows them: what stack_container compares with the spec it is given."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json

from ansible_collections.dct.trust_stack.plugins.module_utils._engine import docker_path

SERVICE_LABEL = 'org.dct.trust_stack.service'
SPEC_LABEL = 'org.dct.trust_stack.spec'


def spec_hash(spec):
    """The value of a container's spec label: SHA-256 of the spec as JSON with sorted keys."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode('utf-8')).hexdigest()


def image_ids(module, names):
    """{image name: its ID now} for the names the daemon has (a missing name is left out)."""
    if not names:
        return {}
    # one call for all; a missing name makes it exit 1 after printing the others
    dummy, out, dummy_err = module.run_command([docker_path(module), 'image', 'inspect', '--format', '{{json .RepoTags}} {{.Id}}'] + names)
    ids = {}
    for line in out.splitlines():
        tags, dummy_sep, image_id = line.rpartition(' ')
        for tag in json.loads(tags or '[]') or []:
            ids[tag] = image_id
    return ids


def describe(info, ids):
    """What tells of one `docker inspect` entry whether the container is still as made."""
    state = info.get('State') or {}
    config = info.get('Config') or {}
    networks = (info.get('NetworkSettings') or {}).get('Networks') or {}
    return dict(
        name=info['Name'].lstrip('/'),
        running=bool(state.get('Running')) and not state.get('Restarting') and not state.get('Paused'),
        spec=(config.get('Labels') or {}).get(SPEC_LABEL, ''),
        image=config.get('Image', ''),
        # an image named without a tag is its :latest
        image_current=info.get('Image') in (ids.get(config.get('Image')), ids.get('%s:latest' % config.get('Image'))),
        networks=dict((name, sorted(net.get('Aliases') or [])) for name, net in networks.items()),
        restart_policy=((info.get('HostConfig') or {}).get('RestartPolicy') or {}).get('Name', ''),
    )


def differences(have, spec):
    """Why a described container is not the one spec asks for (empty when it is, running or not)."""
    why = []
    if have['spec'] != spec_hash(spec):
        why.append('made with other options (its %s label differs)' % SPEC_LABEL)
    if have['image'] != spec['image']:
        why.append('made from image %s' % have['image'])
    elif not have['image_current']:
        why.append('its image %s was rebuilt or removed since' % spec['image'])
    if have['restart_policy'] != spec['restart_policy']:
        why.append('restart policy %s' % (have['restart_policy'] or 'none'))
    wanted = dict((net['name'], net['aliases']) for net in spec['networks'])
    if sorted(have['networks']) != sorted(wanted):
        why.append('on networks %s' % ', '.join(sorted(have['networks'])))
    else:
        lost = ['%s on %s' % (', '.join(sorted(set(aliases) - set(have['networks'][name]))), name)
                for name, aliases in sorted(wanted.items()) if set(aliases) - set(have['networks'][name])]
        if lost:
            why.append('without the aliases %s' % '; '.join(lost))
    return why


def host_ports(ports):
    """{(host IP or '', host port)} of published ports given as for `docker run -p` ([ip:]host:container[/proto]); a
    port published without a host port takes none in particular and is left out."""
    found = set()
    for port in ports:
        parts = port.split('/')[0].rsplit(':', 2)
        if len(parts) == 3:
            found.add((parts[0].strip('[]'), parts[1]))
        elif len(parts) == 2:
            found.add(('', parts[0]))
    return found


def port_holders(infos, name, ports):
    """The names of the containers (`docker inspect` entries, infos) other than name that publish a host port of
    ports (as for `docker run -p`), on the same address or on every address."""
    wanted = host_ports(ports)
    holders = []
    for info in infos:
        other = info['Name'].lstrip('/')
        bindings = ((info.get('HostConfig') or {}).get('PortBindings') or {}).values()
        held = set((b.get('HostIp') or '', b.get('HostPort') or '') for binding in bindings for b in binding or [])
        if other != name and any(port == held_port and (ip == held_ip or '' in (ip, held_ip) or '0.0.0.0' in (ip, held_ip))
                                 for ip, port in wanted for held_ip, held_port in held):
            holders.append(other)
    return sorted(holders)
