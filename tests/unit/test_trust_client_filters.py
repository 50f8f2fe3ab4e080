"""plugins/filter/trust_client.py: the trust_client role's look at a host, and the paths it makes and removes."""
import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dct.trust_stack.plugins.filter.trust_client import trust_client_host, trust_client_paths


def test_the_look_at_a_host_reads_passwd_entries_and_docker_configs():
    config = {'auths': {'registry:5000': {'auth': 'YTpi'}}}
    found = trust_client_host([
        'package docker.io installed',
        'passwd root:x:0:0:root:/root:/bin/bash',
        'config root ' + base64.b64encode(json.dumps(config).encode()).decode(),
        'passwd builder:x:1001:1001::/home/builder:/bin/bash',
        'config builder ',
    ])
    assert found['passwd'] == {'root': ['x', '0', '0', 'root', '/root', '/bin/bash'],
                               'builder': ['x', '1001', '1001', '', '/home/builder', '/bin/bash']}
    assert found['docker_configs'] == {'root': config, 'builder': {}}
    with pytest.raises(AnsibleFilterError, match='the docker config of root is not JSON'):
        trust_client_host(['config root ' + base64.b64encode(b'{').decode()])


def test_the_paths_made_and_removed():
    paths = trust_client_paths(['root', 'builder'], {'root': '/root', 'builder': '/home/builder'}, 'notary:4443',
                               ['/etc/docker/certs.d/registry:5000'])
    assert paths['directories'][0] == {'path': '/etc/docker/certs.d/registry:5000', 'owner': 'root', 'group': 'root',
                                       'mode': '0755'}
    assert {'path': '/home/builder/.docker/tls/notary:4443', 'owner': 'builder', 'mode': '0700'} in paths['directories']
    assert len(paths['directories']) == 1 + 2 * 4
    assert paths['absent'] == ['/etc/docker/certs.d/registry:5000', '/etc/profile.d/dct-trust.sh',
                               '/root/.docker/tls/notary:4443', '/root/.notary/ca.crt', '/root/.notary/config.json',
                               '/home/builder/.docker/tls/notary:4443', '/home/builder/.notary/ca.crt',
                               '/home/builder/.notary/config.json']
