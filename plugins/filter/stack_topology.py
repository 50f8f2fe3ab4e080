# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data the roles build from their inputs: where a node is reached (node_addresses), each Galera node's
certificate (galera_leafs), the balancer's listeners
checked (balancer_listener_errors) and the networks they answer on (balancer_networks), and a service container's
directories, mounts and networks (service_container_layout)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
from collections.abc import Mapping

from ansible_collections.dct.trust_stack.plugins.test.ip_address import ip_address

LISTENER_KEYS = ('name', 'port', 'servers', 'mode', 'network', 'aliases', 'publish', 'check')
NAME_RE = re.compile(r'^[a-z0-9][a-z0-9_-]{0,30}$')
ADDRESS_PORT_RE = re.compile(r'^[A-Za-z0-9.-]+:[0-9]{1,5}$|^\[[0-9A-Fa-f:]+\]:[0-9]{1,5}$')
MODES = ('failover', 'spread')


def _lookup(variables, path):
    """variables[a][b]... for the dotted path a.b..., or None when a part is missing."""
    value = variables
    for part in path.split('.'):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def node_addresses(nodes, hostvars, names=('ansible_host',)):
    """For each node, the first of names (variable names, dotted for a key inside one) that its host variables
    define, else the node's inventory name: the one rule for where a node is reached."""
    if isinstance(names, str):
        names = [names]
    out = []
    for node in nodes or []:
        variables = hostvars[node] if node in hostvars else {}
        found = None
        for name in names:
            found = _lookup(variables, name)
            if found not in (None, ''):
                break
        out.append(found if found not in (None, '') else node)
    return out


def galera_leafs(nodes, addresses, names=()):
    """The pki role's leaf certificates of the Galera nodes: galera_<node> for each node, with the node's name, its
    address (a DNS name or an IP subjectAltName) and names; server and client (the nodes are each other's peers)."""
    leafs = {}
    for node, address in zip(nodes or [], addresses or []):
        is_ip = ip_address(address)
        leafs['galera_%s' % node] = {
            'names': list(dict.fromkeys([node] + ([] if is_ip else [address]) + list(names or []))),
            'ips': [address] if is_ip else [], 'usages': ['serverAuth', 'clientAuth']}
    return leafs


def _port_ok(port):
    return bool(re.match(r'^[0-9]{1,5}$', str(port))) and 1024 < int(port) < 65536


CHECK_KEYS = ('path', 'name', 'status', 'port', 'tls')


def _check_errors(where, check):
    """The broken rules of a listener's check: {path, name, status, port, tls}; name is required over TLS."""
    if check is None:
        return []
    if (not isinstance(check, dict) or [k for k in check if k not in CHECK_KEYS]
            or not str(check.get('path', '')).startswith('/')
            or ('name' in check or check.get('tls', True)) and not NAME_RE.match(str(check.get('name', '')))
            or 'port' in check and not (str(check['port']).isdigit() and 0 < int(check['port']) < 65536)
            or not isinstance(check.get('tls', True), bool)):
        return ['%s.check must be {path: /..., name: <server name, required with tls>, status: <code>, port: <port>, '
                'tls: <bool>}, not %s' % (where, check)]
    return []


def balancer_listener_errors(listeners):
    """One message per broken rule of balancer_listeners, each naming the input; empty when they are fine."""
    if not isinstance(listeners, list):
        return ['balancer_listeners must be a list']
    out = []
    for index, listener in enumerate(listeners):
        where = 'balancer_listeners[%d]' % index
        if not isinstance(listener, dict):
            out.append(where + ' must be a dict')
            continue
        unknown = [key for key in listener if key not in LISTENER_KEYS]
        if unknown:
            out.append('%s has unknown keys %s' % (where, ', '.join(unknown)))
        if not NAME_RE.match(str(listener.get('name', ''))):
            out.append('%s.name %s must be 1-31 of a-z 0-9 _ -, first a letter or digit'
                       % (where, listener.get('name', '(missing)')))
        if not _port_ok(listener.get('port', '')):
            out.append('%s.port %s must be a port above 1024 (the balancer does not run as root)'
                       % (where, listener.get('port', '(missing)')))
        servers = listener.get('servers', [])
        if isinstance(servers, str) or not servers:
            out.append(where + '.servers must list at least one address:port')
        else:
            out.extend('%s.servers: %s is not address:port' % (where, server) for server in servers
                       if not ADDRESS_PORT_RE.match(str(server)))
        if listener.get('mode', 'spread') not in MODES:
            out.append('%s.mode %s must be failover or spread' % (where, listener['mode']))
        if 'network' in listener and not NAME_RE.match(str(listener['network'])):
            out.append('%s.network %s is not a stack network name' % (where, listener['network']))
        if 'publish' in listener and not ADDRESS_PORT_RE.match(str(listener['publish'])):
            out.append('%s.publish %s is not address:port' % (where, listener['publish']))
        out.extend(_check_errors(where, listener.get('check')))
        if 'network' not in listener and 'publish' not in listener:
            out.append(where + ' needs a network (with aliases) or publish, or nothing can reach it')
    named = [listener for listener in listeners if isinstance(listener, dict)]
    names = [listener['name'] for listener in named if 'name' in listener]
    out.extend('balancer_listeners: name %s is used twice' % name for name in names if names.count(name) > 1)
    ports = [int(listener['port']) for listener in named if str(listener.get('port', '')).isdigit() and int(listener['port'])]
    out.extend('balancer_listeners: port %d is used twice' % port for port in ports if ports.count(port) > 1)
    return list(dict.fromkeys(out))


def balancer_networks(listeners):
    """The networks of the balancer's container: its own (towards the servers), then each stack network a listener
    answers on (internal, as the other roles make them) with the aliases of every listener on it."""
    out = [{'name': 'balancer'}]
    for network in dict.fromkeys(listener['network'] for listener in listeners if 'network' in listener):
        aliases = [alias for listener in listeners if listener.get('network') == network
                   for alias in listener.get('aliases') or []]
        out.append({'name': network, 'internal': True, 'aliases': list(dict.fromkeys(aliases))})
    return out


def service_container_layout(name, stack, host_dir, mount, user, volumes=(), networks=()):
    """What the service_container role hands stack_container for a service besides its files: the directories (the
    stack's, 0711 root; the service's and every host directory in volumes, the service user's, 0700), the mounts
    (the service's directory read-only at mount; each of volumes, "/host/dir:/path" a bind mount, "name:/path" the
    stack's volume <stack>_name) and the networks (<stack>_<name>, with aliases and internal). user is "uid:gid" or
    "uid" (then gid = uid)."""
    uid, dummy, gid = str(user).partition(':')
    gid = gid or uid
    service_dir = '%s/%s' % (host_dir, name)
    directories = [{'path': host_dir, 'owner': 'root', 'group': 'root', 'mode': '0711'}]
    directories += [{'path': path, 'owner': uid, 'group': gid, 'mode': '0700'}
                    for path in [service_dir] + [v.split(':')[0] for v in volumes if v.startswith('/')]]
    mounts = [{'type': 'bind', 'source': service_dir, 'target': mount, 'read_only': True}]
    for volume in volumes:
        source, dummy, target = volume.partition(':')
        mounts.append({'type': 'bind', 'source': source, 'target': target} if volume.startswith('/')
                      else {'type': 'volume', 'source': '%s_%s' % (stack, source), 'target': target})
    return dict(directories=directories, mounts=mounts,
                networks=[{'name': '%s_%s' % (stack, net['name']), 'aliases': net.get('aliases') or [],
                           'internal': bool(net.get('internal', False))} for net in networks])


class FilterModule(object):
    def filters(self):
        return {'node_addresses': node_addresses, 'galera_leafs': galera_leafs,
                'balancer_listener_errors': balancer_listener_errors, 'balancer_networks': balancer_networks,
                'service_container_layout': service_container_layout}
