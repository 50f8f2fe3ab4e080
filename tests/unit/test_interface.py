"""The collection's interface as documented: the action group each module claims is the one meta/runtime.yml gives,
the option vocabulary of docs/ARCHITECTURE.md, and its deprecated aliases."""
import pathlib
import re

import pytest
import yaml

from ansible_collections.dct.trust_stack.plugins.module_utils import _options

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / 'plugins' / 'modules').glob('*.py'))
FRAGMENTS = {}


def fragment(name):
    """The options and attributes of the doc fragment dct.trust_stack.<file>[.<VARIABLE>]."""
    if name not in FRAGMENTS:
        file, dummy, variable = name.partition('.')
        text = (ROOT / 'plugins' / 'doc_fragments' / (file + '.py')).read_text()
        match = re.search(r"^    %s = r'''(.*?)'''" % (variable.upper() or 'DOCUMENTATION'), text, re.S | re.M)
        FRAGMENTS[name] = yaml.safe_load(match.group(1))
    return FRAGMENTS[name]


def documentation(path):
    """A module's DOCUMENTATION with its dct.trust_stack fragments merged in (options and attributes)."""
    doc = yaml.safe_load(re.search(r"^DOCUMENTATION = r'''(.*?)'''", path.read_text(), re.S | re.M).group(1))
    for name in doc.get('extends_documentation_fragment') or []:
        part = fragment(name[len('dct.trust_stack.'):])
        for key in ('options', 'attributes'):
            merged = dict(part.get(key) or {})
            merged.update(doc.get(key) or {})
            doc[key] = merged
    return doc


def test_every_module_that_claims_the_action_group_is_in_it():
    """module_defaults: group/dct.trust_stack.trust sets defaults only for the modules meta/runtime.yml lists."""
    groups = yaml.safe_load((ROOT / 'meta' / 'runtime.yml').read_text())['action_groups']
    claimed = {}
    for path in MODULES:
        group = documentation(path)['attributes'].get('action_group') or {}
        if group.get('support', 'none') != 'none':
            for member in group.get('membership') or []:
                claimed.setdefault(member.rpartition('.')[2], set()).add(path.stem)
    assert claimed, 'no module claims an action group'
    assert {name: set(members) for name, members in groups.items()} == claimed


# the same word for another thing: a backup set's passphrase; a container's image, a network's name
OTHER_THINGS = {'stack_backup': ('passphrase',), 'stack_container': ('image', 'name')}


@pytest.mark.parametrize('old, new', [('cli', 'docker_cli'), ('ca_path', 'ca_cert'), ('trust_dir', 'cache_dir'),
                                      ('passphrase', 'signer_passphrase'), ('name', 'signer'),
                                      ('warn_days', 'within_days'), ('image', 'images')])
def test_a_0_9_name_is_only_a_deprecated_alias(old, new):
    """No module has an option under a 0.9.0 name any more; where one had it, the new name takes it as an alias."""
    for path in MODULES:
        options = documentation(path)['options']
        suboptions = [sub for option in options.values() for sub in (option.get('suboptions') or {}).items()]
        for name, option in list(options.items()) + suboptions:
            assert name != old or name in OTHER_THINGS.get(path.stem, ()), '%s: option %s is still there' % (path.stem, old)
            if old in (option.get('aliases') or []):
                assert name == new, '%s: %s is an alias of %s, not %s' % (path.stem, old, name, new)


def test_aliases_in_the_specs_are_deprecated_until_2_0_0():
    for spec in (_options.TARGET_ARGS, _options.VERIFY_ARGS):
        for name, option in spec.items():
            if option.get('aliases'):
                assert [d['name'] for d in option['deprecated_aliases']] == option['aliases']
                assert {d['version'] for d in option['deprecated_aliases']} == {'2.0.0'}


def test_every_module_of_the_group_takes_the_options_its_defaults_may_set():
    """module_defaults of group/dct.trust_stack.trust may set server, config_dir, timeout, docker_cli and notary_cli
    for all six modules: one that refused any of them would fail every play that sets it."""
    groups = yaml.safe_load((ROOT / 'meta' / 'runtime.yml').read_text())['action_groups']
    for name in groups['trust']:
        options = documentation(ROOT / 'plugins' / 'modules' / (name + '.py'))['options']
        assert set(_options.GROUP_ARGS) <= set(options), '%s lacks %s' % (name, set(_options.GROUP_ARGS) - set(options))
