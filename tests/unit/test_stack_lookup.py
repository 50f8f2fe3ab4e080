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
