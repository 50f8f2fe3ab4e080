"""stack_container: what the scenarios do not show one by one (they run it for real on every service): bad input
is refused before anything is done, the environment never reaches docker's command line, and which difference
makes a container be made again."""
import pytest

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError
from ansible_collections.dct.trust_stack.plugins.module_utils._containers import differences, port_holders, spec_hash
from ansible_collections.dct.trust_stack.plugins.module_utils._ready import wait_ready
from ansible_collections.dct.trust_stack.plugins.modules.stack_container import SPEC_KEYS, check_input, create_args


def params(**over):
    base = dict(stack='trust', service='registry', image='dct/registry:2.8.2', command=['serve', '/etc/dct/config.yml'],
                env={'REGISTRY_HTTP_SECRET': 's3cret-value'},
                networks=[{'name': 'trust_backend', 'aliases': ['registry-backend'], 'internal': True},
                          {'name': 'trust_db', 'aliases': [], 'internal': True}],
                ports=['127.0.0.1:5000:5000'],
                mounts=[{'type': 'bind', 'source': '/etc/dct-trust-stack/trust/registry', 'target': '/etc/dct', 'read_only': True},
                        {'type': 'volume', 'source': 'trust_registry_data', 'target': '/var/lib/docker-registry', 'read_only': False}],
                tmpfs=['/tmp:rw,noexec'], read_only=True, security_opts=['no-new-privileges'], cap_drop=['ALL'],
                restart_policy='unless-stopped', restart=False, directories=[], files=[], labels={})
    base.update(over)
    return base


def as_made(spec, **over):
    """A container stack_container would describe as made from spec."""
    have = dict(name='trust_registry', running=True, spec=spec_hash(spec), image=spec['image'], image_current=True,
                networks=dict((net['name'], sorted(net['aliases'] + ['3f2a1b0c9d8e'])) for net in spec['networks']),
                restart_policy=spec['restart_policy'])
    have.update(over)
    return have


def spec_of(p):
    return dict((key, p[key]) for key in SPEC_KEYS)


def test_the_environment_goes_to_a_file_never_to_the_command_line():
    args = create_args(params(), 'trust_registry', {'org.dct.trust_stack.spec': 'f00d'}, '/tmp/env-file')
    assert not any('s3cret-value' in arg for arg in args)
    assert args[args.index('--env-file') + 1] == '/tmp/env-file'
    # created on the first network with its aliases; the second is connected before the start
    assert args[args.index('--network') + 1] == 'trust_backend' and 'trust_db' not in args
    assert 'type=bind,source=/etc/dct-trust-stack/trust/registry,target=/etc/dct,readonly' in args
    assert args[-3:] == ['dct/registry:2.8.2', 'serve', '/etc/dct/config.yml']


@pytest.mark.parametrize('over, message', [
    ({'stack': 'bad stack'}, 'stack "bad stack" is not a valid docker name prefix'),
    ({'service': '-x'}, 'service "-x" is not a valid docker name'),
    ({'networks': []}, 'networks is empty'),
    ({'env': {'A': 'line\nbreak'}}, 'env A: names without "=" and values without a line break'),
    ({'mounts': [{'type': 'bind', 'source': '/a,b', 'target': '/x', 'read_only': True}]}, 'source "/a,b" is empty or has a comma'),
    ({'networks': [{'name': 'host', 'aliases': [], 'internal': False}, {'name': 'trust_db', 'aliases': [], 'internal': True}],
      'ports': []}, 'networks: host is the host'),
    ({'networks': [{'name': 'host', 'aliases': ['db'], 'internal': False}], 'ports': []}, 'networks: host is the host'),
    ({'networks': [{'name': 'host', 'aliases': [], 'internal': False}]}, 'networks: host is the host'),
    ({'labels': {'org.dct.trust_stack.spec': 'x'}}, 'labels: org.dct.trust_stack.spec is a label stack_container sets'),
])
def test_bad_input_is_refused_by_name(over, message):
    with pytest.raises(TrustError, match=message):
        check_input(params(**over))


def test_a_container_on_the_host_network_is_accepted_and_made_there():
    host = params(networks=[{'name': 'host', 'aliases': [], 'internal': False}], ports=[], labels={'a.b': 'c'})
    check_input(host)
    args = create_args(host, 'trust_galera', {'a.b': 'c'}, '/tmp/env')
    assert args[args.index('--network') + 1] == 'host' and '--network-alias' not in args and '--publish' not in args


def test_a_container_as_made_has_no_differences_running_or_not():
    spec = spec_of(params())
    assert differences(as_made(spec), spec) == []
    assert differences(as_made(spec, running=False), spec) == []   # started, not made again


@pytest.mark.parametrize('change, expected', [
    (dict(env={'REGISTRY_HTTP_SECRET': 'other'}), 'made with other options'),
    (dict(ports=[]), 'made with other options'),
    (dict(labels={'org.dct.galera.settings': 'new'}), 'made with other options'),
])
def test_any_option_changed_changes_the_label(change, expected):
    made = spec_of(params())
    wanted = spec_of(params(**change))
    assert expected in differences(as_made(made), wanted)[0]


def test_changes_by_hand_are_found():
    spec = spec_of(params())
    assert differences(as_made(spec, image_current=False), spec) == ['its image dct/registry:2.8.2 was rebuilt or removed since']
    assert differences(as_made(spec, restart_policy='no'), spec) == ['restart policy no']
    assert differences(as_made(spec, networks={'trust_backend': ['registry-backend']}), spec) == ['on networks trust_backend']
    lost = as_made(spec, networks={'trust_backend': ['3f2a1b0c9d8e'], 'trust_db': []})
    assert differences(lost, spec) == ['without the aliases registry-backend on trust_backend']


def ready(**over):
    return dict(dict(url=None, url_after_start=None, ca_cert='/nonexistent/ca.crt', username=None, password=None,
                     status=200, timeout=1), **over)


def test_ready_asks_the_url_for_the_case_at_hand_or_nothing():
    # left as it was, with only a URL for a fresh start: nothing to ask, and nothing is asked
    assert wait_ready(ready(url_after_start='https://localhost:1/'), started=False) is None
    assert wait_ready(ready(), started=True) is None


def test_ready_refuses_plain_http_and_a_missing_ca_by_name():
    with pytest.raises(TrustError, match='http://localhost/v2/ is not an https:// URL'):
        wait_ready(ready(url='http://localhost/v2/'), started=False)
    with pytest.raises(TrustError, match='cannot use /nonexistent/ca.crt as the CA'):
        wait_ready(ready(url='https://localhost/v2/'), started=False)


def test_the_containers_that_hold_a_wanted_host_port_are_found():
    def container(name, *bindings):
        return {'Name': '/' + name, 'HostConfig': {'PortBindings': dict(
            ('%d/tcp' % i, [{'HostIp': ip, 'HostPort': port}]) for i, (ip, port) in enumerate(bindings))}}
    infos = [container('s_registry', ('127.0.0.1', '5000')), container('s_notary_server', ('', '4443')),
             container('s_front', ('127.0.0.1', '5000'), ('127.0.0.1', '4443')), container('s_mariadb'),
             container('s_other', ('127.0.0.2', '5000'))]
    wanted = ['127.0.0.1:5000:5000', '127.0.0.1:4443:4443/tcp']
    # the same address, and every address (docker's empty HostIp); not another address; not the container itself
    assert port_holders(infos, 's_front', wanted) == ['s_notary_server', 's_registry']
    # a port published without a host port holds none
    assert port_holders(infos, 's_x', ['5000']) == []
