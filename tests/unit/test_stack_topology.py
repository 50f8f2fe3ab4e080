"""plugins/filter/stack_topology.py: the rule for where a node is reached, the balancer's listeners checked by name
(the default scenario tries these messages against the role), and the networks the balancer joins."""
import pytest

from ansible_collections.dct.trust_stack.plugins.filter.stack_topology import (
    balancer_listener_errors, balancer_networks, galera_leafs, node_addresses)
from ansible_collections.dct.trust_stack.plugins.test.ip_address import ip_address

HOSTVARS = {
    'host1': {'ansible_host': '10.0.0.1', 'galera_address': '192.168.7.1', '_galera_me': {'address': '192.168.9.1'}},
    'host2': {'ansible_host': '10.0.0.2'},
    'host3': {},
    'host4': {'ansible_host': '10.0.0.4', 'galera_address': ''},
}


def test_the_first_name_a_node_defines_else_its_inventory_name():
    nodes = ['host1', 'host2', 'host3', 'host4', 'elsewhere']
    assert node_addresses(nodes, HOSTVARS, ['galera_address', 'ansible_host']) == [
        '192.168.7.1', '10.0.0.2', 'host3', '10.0.0.4', 'elsewhere']
    assert node_addresses(nodes[:2], HOSTVARS, ['_galera_me.address', 'galera_address']) == ['192.168.9.1', 'host2']
    assert node_addresses(['host2'], HOSTVARS) == ['10.0.0.2']
    assert node_addresses(['host1'], HOSTVARS, 'galera_address') == ['192.168.7.1']


GOOD = [
    {'name': 'mariadb', 'port': 3306, 'mode': 'failover', 'network': 'db', 'aliases': ['mariadb'],
     'servers': ['10.0.0.1:3306', '[fd00::2]:3306']},
    {'name': 'notary-signer', 'port': 7899, 'network': 'signer', 'aliases': ['notary-signer'], 'servers': ['h:7899']},
    {'name': 'entry', 'port': 4443, 'publish': '0.0.0.0:4443', 'servers': ['h:4443']},
    {'name': 'db2', 'port': 3307, 'network': 'db', 'aliases': ['mariadb', 'other'], 'servers': ['h:3307']},
]


def test_good_listeners_have_no_errors_and_their_networks_carry_every_alias():
    assert balancer_listener_errors(GOOD) == []
    assert balancer_networks(GOOD) == [
        {'name': 'balancer'},
        {'name': 'db', 'internal': True, 'aliases': ['mariadb', 'other']},
        {'name': 'signer', 'internal': True, 'aliases': ['notary-signer']},
    ]


@pytest.mark.parametrize('listeners, message', [
    ('mariadb', 'balancer_listeners must be a list'),
    (['x'], 'balancer_listeners[0] must be a dict'),
    ([dict(GOOD[0], weight=1)], 'balancer_listeners[0] has unknown keys weight'),
    ([dict(GOOD[0], name='Bad Name')], 'balancer_listeners[0].name Bad Name must be 1-31 of a-z 0-9 _ -'),
    ([dict(GOOD[0], port=80)], 'balancer_listeners[0].port 80 must be a port above 1024'),
    ([dict(GOOD[0], port='x')], 'balancer_listeners[0].port x must be a port above 1024'),
    ([dict(GOOD[0], servers=[])], 'balancer_listeners[0].servers must list at least one address:port'),
    ([dict(GOOD[0], servers='h:1')], 'balancer_listeners[0].servers must list at least one address:port'),
    ([dict(GOOD[0], servers=['h'])], 'balancer_listeners[0].servers: h is not address:port'),
    ([dict(GOOD[0], mode='random')], 'balancer_listeners[0].mode random must be failover or spread'),
    ([dict(GOOD[0], network='Db')], 'balancer_listeners[0].network Db is not a stack network name'),
    ([dict(GOOD[2], publish='4443')], 'balancer_listeners[0].publish 4443 is not address:port'),
    ([{'name': 'x', 'port': 5000, 'servers': ['h:1']}], 'balancer_listeners[0] needs a network (with aliases) or publish'),
    ([GOOD[0], dict(GOOD[1], name='mariadb')], 'balancer_listeners: name mariadb is used twice'),
    ([GOOD[0], dict(GOOD[1], port=3306)], 'balancer_listeners: port 3306 is used twice'),
])
def test_each_bad_listener_is_named(listeners, message):
    errors = balancer_listener_errors(listeners)
    assert any(error.startswith(message) for error in errors), errors
    assert len(errors) == len(set(errors))


def test_a_service_container_layout():
    from ansible_collections.dct.trust_stack.plugins.filter.stack_topology import service_container_layout
    layout = service_container_layout('registry', 'trust', '/etc/dct-trust-stack/trust', '/etc/dct', '991:991',
                                      ['registry_data:/var/lib/docker-registry', '/srv/shared:/var/lib/shared'],
                                      [{'name': 'backend', 'aliases': ['registry-backend'], 'internal': True}, {'name': 'front'}])
    assert layout['directories'] == [
        {'path': '/etc/dct-trust-stack/trust', 'owner': 'root', 'group': 'root', 'mode': '0711'},
        {'path': '/etc/dct-trust-stack/trust/registry', 'owner': '991', 'group': '991', 'mode': '0700'},
        {'path': '/srv/shared', 'owner': '991', 'group': '991', 'mode': '0700'}]
    assert layout['mounts'] == [
        {'type': 'bind', 'source': '/etc/dct-trust-stack/trust/registry', 'target': '/etc/dct', 'read_only': True},
        {'type': 'volume', 'source': 'trust_registry_data', 'target': '/var/lib/docker-registry'},
        {'type': 'bind', 'source': '/srv/shared', 'target': '/var/lib/shared'}]
    assert layout['networks'] == [{'name': 'trust_backend', 'aliases': ['registry-backend'], 'internal': True},
                                  {'name': 'trust_front', 'aliases': [], 'internal': False}]
    assert service_container_layout('x', 's', '/d', '/m', '990')['directories'][1]['group'] == '990'


def test_a_listener_check_is_a_path_and_a_server_name_over_https_or_a_port_of_its_own_over_http():
    good = {'name': 'notary-server', 'port': 4443, 'servers': ['10.0.0.1:4443'], 'publish': '0.0.0.0:4443',
            'check': {'path': '/_notary_server/health', 'name': 'notary-server'}}
    assert balancer_listener_errors([good]) == []
    # plain HTTP on a port of its own (a Galera node's state), on a failover listener; no name needed without TLS
    galera = dict(good, mode='failover', check={'path': '/', 'port': 9200, 'tls': False})
    assert balancer_listener_errors([galera]) == []
    for check in ({'path': 'health', 'name': 'notary-server'}, {'path': '/h', 'name': 'Bad Name'}, {'path': '/h', 'name': 'n', 'uri': 1},
                  'GET /h', {'path': '/h'}, {'path': '/', 'port': 0, 'tls': False}, {'path': '/', 'tls': 'no'}):
        assert balancer_listener_errors([dict(good, check=check)]) == [
            'balancer_listeners[0].check must be {path: /..., name: <server name, required with tls>, status: <code>, '
            'port: <port>, tls: <bool>}, not %s' % (check,)]


def test_each_galera_node_gets_a_leaf_of_its_own_with_its_name_address_and_the_shared_names():
    leafs = galera_leafs(['node1', 'node2', 'node3'], ['10.0.0.1', 'db2.example.org', 'fd00::3'], ['mariadb'])
    assert leafs == {
        'galera_node1': {'names': ['node1', 'mariadb'], 'ips': ['10.0.0.1'], 'usages': ['serverAuth', 'clientAuth']},
        'galera_node2': {'names': ['node2', 'db2.example.org', 'mariadb'], 'ips': [], 'usages': ['serverAuth', 'clientAuth']},
        'galera_node3': {'names': ['node3', 'mariadb'], 'ips': ['fd00::3'], 'usages': ['serverAuth', 'clientAuth']}}
    # a node reached by its inventory name is named once
    assert galera_leafs(['db1'], ['db1'])['galera_db1']['names'] == ['db1']
    # a name of hex digits is a name (the pki role's earlier pattern took 'cafe' for an IP address)
    assert galera_leafs(['db1'], ['cafe'])['galera_db1'] == {
        'names': ['db1', 'cafe'], 'ips': [], 'usages': ['serverAuth', 'clientAuth']}


@pytest.mark.parametrize('value, expected', [
    ('10.0.0.1', True), ('fd00::3', True), ('::1', True), ('cafe', False), ('10.0.0', False), ('256.0.0.1', False),
    ('10.0.0.0/8', False), ('10.0.0.1:80', False), ('db1.example.org', False), ('', False), (None, False)])
def test_ip_address_is_one_ip_address_and_nothing_else(value, expected):
    assert ip_address(value) is expected
