"""plugins/filter/trust_client.py: the trust_client role's look at a host, and the paths it makes and removes."""
import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.dct.trust_stack.plugins.filter.trust_client import trust_client_host, trust_client_paths


def test_the_look_at_a_host_reads_passwd_entries_and_docker_configs():
    config = {'auths': {'registry:5000': {'auth': 'YTpi'}}}
    # the text as docker login writes it (tabs), kept as it is beside the parsed config
    text = json.dumps(config, indent='\t')
    found = trust_client_host([
        'package docker.io installed',
        'passwd root:x:0:0:root:/root:/bin/bash',
        'config root ' + base64.b64encode(text.encode()).decode(),
        'passwd builder:x:1001:1001::/home/builder:/bin/bash',
        'config builder ',
    ])
    assert found['passwd'] == {'root': ['x', '0', '0', 'root', '/root', '/bin/bash'],
                               'builder': ['x', '1001', '1001', '', '/home/builder', '/bin/bash']}
    assert found['docker_configs'] == {'root': config, 'builder': {}}
    assert found['docker_config_texts'] == {'root': text, 'builder': ''}
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


def test_the_signature_policy_keeps_the_host_s_and_puts_it_back_exactly():
    from ansible_collections.dct.trust_stack.plugins.filter.trust_client import trust_client_signature_policy
    own = json.dumps({'default': [{'type': 'reject'}], 'transports': {'docker': {'quay.io': [{'type': 'insecureAcceptAnything'}]}}})
    made = trust_client_signature_policy({'/etc/containers/policy.json': own}, True, 'registry:5000', 'KEY', 'https://registry:5000/signatures')
    files = dict((f['path'], f['content']) for f in made['files'])
    policy = json.loads(files['/etc/containers/policy.json'])
    assert policy['default'] == [{'type': 'reject'}]
    assert policy['transports']['docker']['quay.io'] == [{'type': 'insecureAcceptAnything'}]
    assert policy['transports']['docker']['registry:5000'] == [{
        'type': 'signedBy', 'keyType': 'GPGKeys', 'keyPath': '/etc/containers/dct-registry-5000-mirror.gpg',
        'signedIdentity': {'type': 'matchRepository'}}]
    assert files['/etc/containers/registries.d/dct-registry-5000.yaml'] == \
        'docker:\n  registry:5000:\n    lookaside: https://registry:5000/signatures\n'
    backup = files['/etc/containers/policy.json.dct-registry-5000.orig']
    assert json.loads(backup) == {'original': own}
    # a second run keeps the first backup; taking it back restores the host's own file, byte for byte
    again = trust_client_signature_policy({'/etc/containers/policy.json': files['/etc/containers/policy.json'],
                                           '/etc/containers/policy.json.dct-registry-5000.orig': backup},
                                          True, 'registry:5000', 'KEY', 'https://registry:5000/signatures')
    assert again == made
    back = trust_client_signature_policy({'/etc/containers/policy.json': files['/etc/containers/policy.json'],
                                          '/etc/containers/policy.json.dct-registry-5000.orig': backup},
                                         False, 'registry:5000', '', '')
    assert back['files'] == [{'path': '/etc/containers/policy.json', 'content': own, 'owner': 'root', 'group': 'root',
                              'mode': '0644'}]
    assert sorted(back['absent']) == ['/etc/containers/dct-registry-5000-mirror.gpg',
                                      '/etc/containers/policy.json.dct-registry-5000.orig',
                                      '/etc/containers/registries.d/dct-registry-5000.yaml']
    # a host that had no policy file gets Debian's default beside the registry's entry, and none again after
    fresh = trust_client_signature_policy({}, True, 'registry:5000', 'KEY', 'https://registry:5000/signatures')
    fresh_backup = [f['content'] for f in fresh['files'] if f['path'].endswith('.orig')][0]
    assert 'registry:5000' in [f for f in fresh['files'] if f['path'] == '/etc/containers/policy.json'][0]['content']
    gone = trust_client_signature_policy({'/etc/containers/policy.json.dct-registry-5000.orig': fresh_backup}, False,
                                         'registry:5000', '', '')
    assert gone['files'] == [] and '/etc/containers/policy.json' in gone['absent']
    assert trust_client_signature_policy({}, False, 'registry:5000', '', '') == {'files': [], 'absent': []}
