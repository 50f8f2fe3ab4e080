"""plugins/lookup/stack.py: the stack's shared settings, each default stated once."""
import os

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.dct.trust_stack.plugins.lookup.stack import LookupModule


class Templar(object):
    def template(self, value):
        return value


def settings(variables, *terms):
    lookup = LookupModule()
    lookup._templar = Templar()
    return lookup.run(list(terms), variables)


def test_the_defaults_and_what_overrides_them(monkeypatch):
    monkeypatch.setenv('HOME', '/home/ops')
    assert settings({}, 'name', 'controller_dir') == ['trust', os.path.join('/home/ops', '.dct-trust-stack', 'trust')]
    assert settings({'trust_stack_name': 'lab'}, 'controller_dir') == ['/home/ops/.dct-trust-stack/lab']
    assert settings({'trust_stack_name': 'lab', 'trust_stack_controller_dir': '/srv/dct'}, 'name', 'controller_dir') == \
        ['lab', '/srv/dct']


def test_an_unknown_setting_is_refused_by_name():
    with pytest.raises(AnsibleLookupError, match='no setting "dir"'):
        settings({}, 'dir')


def test_the_host_dir_and_the_collection_version(tmp_path):
    assert settings({'trust_stack_name': 'lab'}, 'host_dir') == ['/etc/dct-trust-stack/lab']
    assert settings({'trust_stack_host_dir': '/srv/stack'}, 'host_dir') == ['/srv/stack']
    from ansible_collections.dct.trust_stack.plugins.lookup import stack
    # a checkout: galaxy.yml; an installed collection: MANIFEST.json, which wins
    (tmp_path / 'galaxy.yml').write_text('namespace: dct\nversion: 1.2.3  # the release\n')
    assert stack.collection_version(str(tmp_path)) == '1.2.3'
    (tmp_path / 'MANIFEST.json').write_text('{"collection_info": {"version": "1.2.4"}}')
    assert stack.collection_version(str(tmp_path)) == '1.2.4'
    assert settings({}, 'version') == [stack.collection_version()]
