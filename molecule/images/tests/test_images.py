"""The service images the images role built: software, versions and users."""
import json

import pytest

NOTARY = 'dct/notary:0.7.0'
REGISTRY = 'dct/registry:2.8.2'
MARIADB = 'dct/mariadb:10.11'
BALANCER = 'dct/balancer:2.6.12'


def run_in(host, image, *argv, entrypoint=None):
    """Run argv in a throwaway container of image; return the testinfra result."""
    cmd = ['docker', 'run', '--rm', '--network', 'none']
    if entrypoint is not None:
        cmd += ['--entrypoint', entrypoint]
    cmd += [image] + list(argv)
    result = host.run(' '.join(_quote(c) for c in cmd))
    print(f'$ {result.command}\nexit {result.rc}\nstdout: {result.stdout}\nstderr: {result.stderr}')
    return result


def _quote(arg):
    import shlex
    return shlex.quote(arg)


def image_config(host, image):
    out = host.check_output(f'docker image inspect {image}')
    return json.loads(out)[0]['Config']


@pytest.mark.parametrize('binary', ['notary-server', 'notary-signer'])
def test_notary_binaries_answer(host, binary):
    result = run_in(host, NOTARY, binary, '-version')
    assert result.rc == 0
    assert binary in result.stdout


def test_notary_package_is_0_7_0(host):
    # Debian's build prints an empty version number, so ask dpkg.
    result = run_in(host, NOTARY, 'dpkg-query', '-W', '-f=${Version}', 'notary')
    assert result.rc == 0
    assert result.stdout.startswith('0.7.0')


def test_notary_cli_present(host):
    assert run_in(host, NOTARY, 'notary', 'version').rc == 0


def test_registry_is_2_8(host):
    result = run_in(host, REGISTRY, '--version')
    assert result.rc == 0
    assert ' 2.8' in result.stdout


def test_mariadb_answers(host):
    result = run_in(host, MARIADB, 'mariadbd', '--version', entrypoint='')
    assert result.rc == 0
    assert '10.11' in result.stdout


def test_balancer_is_haproxy_2_6(host):
    result = run_in(host, BALANCER, '-v')
    assert result.rc == 0
    assert 'HAProxy version 2.6.' in result.stdout


@pytest.mark.parametrize('image,user', [
    (NOTARY, 'notary'),
    (REGISTRY, 'docker-registry'),
    (MARIADB, 'mysql'),
    (BALANCER, 'dct-balancer'),
])
def test_service_user_is_not_root(host, image, user):
    config = image_config(host, image)
    uid = config['User'].split(':')[0]
    assert uid and uid != '0' and uid != 'root'
    result = run_in(host, image, 'id', '-un', entrypoint='')
    assert result.rc == 0
    assert result.stdout.strip() == user


@pytest.mark.parametrize('image', [NOTARY, REGISTRY, MARIADB, BALANCER])
def test_recipe_label_recorded(host, image):
    labels = image_config(host, image)['Labels'] or {}
    assert len(labels.get('org.dct.trust_stack.recipe', '')) == 64
