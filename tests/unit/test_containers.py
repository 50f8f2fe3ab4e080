"""_containers.describe: its reading of `docker inspect` in the cases the default scenario does not make (stack_container
uses it): a paused or restarting container, an image rebuilt under the same name, an image named without a tag."""
from ansible_collections.dct.trust_stack.plugins.module_utils._containers import describe


def inspected(image='dct/registry:2.8.2', image_id='sha256:aaa', **state):
    return {'Name': '/trust_registry', 'Image': image_id,
            'State': dict({'Running': True, 'Restarting': False, 'Paused': False}, **state),
            'Config': {'Image': image, 'Labels': {'org.dct.trust_stack.spec': 'f00d',
                                                  'org.dct.trust_stack.recipe': 'an image label, not ours'}},
            'NetworkSettings': {'Networks': {'trust_backend': {'Aliases': ['registry-backend', '3f2a1b0c9d8e']}}},
            'HostConfig': {'RestartPolicy': {'Name': 'unless-stopped'}}}


def test_a_running_container_as_made():
    got = describe(inspected(), {'dct/registry:2.8.2': 'sha256:aaa'})
    assert got == {'name': 'trust_registry', 'running': True, 'spec': 'f00d', 'image': 'dct/registry:2.8.2',
                   'image_current': True, 'networks': {'trust_backend': ['3f2a1b0c9d8e', 'registry-backend']},
                   'restart_policy': 'unless-stopped'}


def test_paused_or_restarting_is_not_running():
    assert not describe(inspected(Paused=True), {})['running']
    assert not describe(inspected(Restarting=True), {})['running']


def test_an_image_rebuilt_under_the_same_name_or_gone_is_not_current():
    assert not describe(inspected(), {'dct/registry:2.8.2': 'sha256:bbb'})['image_current']
    assert not describe(inspected(), {})['image_current']


def test_an_image_named_without_a_tag_is_its_latest():
    assert describe(inspected(image='dct/registry'), {'dct/registry:latest': 'sha256:aaa'})['image_current']
