"""Static checks of the collection layout that the tooling relies on."""
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def role_dirs():
    return sorted(p for p in (ROOT / 'roles').iterdir() if p.is_dir() and not p.name.startswith('_'))


def test_galaxy_identity():
    galaxy = yaml.safe_load((ROOT / 'galaxy.yml').read_text())
    assert (galaxy['namespace'], galaxy['name']) == ('dct', 'trust_stack')
    for dep in ('community.docker', 'community.crypto', 'community.mysql'):
        assert dep in galaxy['dependencies']
    for ignored in ('tests', 'molecule', '.lab', '.venv'):
        assert ignored in galaxy['build_ignore']


def test_role_defaults_match_argument_specs():
    """Every public role variable is in defaults/main.yml and meta/argument_specs.yml alike."""
    for role in role_dirs():
        defaults = yaml.safe_load((role / 'defaults' / 'main.yml').read_text()) or {}
        specs = yaml.safe_load((role / 'meta' / 'argument_specs.yml').read_text())
        options = {}
        for entry_point in specs['argument_specs'].values():
            options.update(entry_point.get('options') or {})
        documented_defaults = {k for k, v in options.items() if 'default' in v}
        assert set(defaults) == documented_defaults, role.name
        for name in options:
            assert name.startswith(role.name + '_'), f'{role.name}: {name} lacks the role prefix'
            assert options[name].get('description'), f'{role.name}: {name} has no description'
        for name, value in defaults.items():
            if '{{' in str(value):
                continue  # a templated default is described in words in the spec
            assert options[name]['default'] == value, f'{role.name}: default of {name} differs'
