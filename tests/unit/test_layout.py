"""Static checks of the collection layout that the tooling relies on."""
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]


def role_dirs():
    return sorted(p for p in (ROOT / 'roles').iterdir() if p.is_dir() and not p.name.startswith('_'))


def test_galaxy_identity():
    galaxy = yaml.safe_load((ROOT / 'galaxy.yml').read_text())
    assert (galaxy['namespace'], galaxy['name']) == ('dct', 'trust_stack')
    assert set(galaxy['dependencies']) == {'community.docker', 'community.crypto'}
    for ignored in ('tests', 'molecule', '.lab', '.venv'):
        assert ignored in galaxy['build_ignore']


def test_every_declared_collection_is_used_and_every_used_one_declared():
    """galaxy.yml's dependencies are the collections the roles, playbooks and plugins name (requirements.yml too)."""
    used = set()
    for top in ('roles', 'playbooks', 'plugins'):
        for path in (ROOT / top).rglob('*'):
            if path.suffix in ('.yml', '.py', '.j2'):
                # Python imports of ansible-core (ansible.parsing, ansible.errors...) are not collections
                text = re.sub(r'^\s*(from|import) ansible\.\S+.*$', '', path.read_text(), flags=re.M)
                used.update(re.findall(r'\b(community\.[a-z_]+|ansible\.(?!builtin\b|module_utils\b|plugins\b)[a-z_]+)\.[a-z_]+', text))
    galaxy = yaml.safe_load((ROOT / 'galaxy.yml').read_text())
    assert set(galaxy['dependencies']) == used
    requirements = yaml.safe_load((ROOT / 'requirements.yml').read_text())
    assert {c['name'] for c in requirements['collections']} == used


def test_role_defaults_match_argument_specs():
    """Every public role variable is in defaults/main.yml and meta/argument_specs.yml alike."""
    for role in role_dirs():
        defaults = yaml.safe_load((role / 'defaults' / 'main.yml').read_text()) or {}
        specs = yaml.safe_load((role / 'meta' / 'argument_specs.yml').read_text())
        options = {}
        for entry_point in specs['argument_specs'].values():
            options.update(entry_point.get('options') or {})
        documented_defaults = {k for k, v in options.items() if 'default' in v}
        # a templated default is given in words: as the default where the type allows (str, path), else in the
        # description (an int or dict default that is an expression is not a value of its type)
        templated = {k for k, v in defaults.items() if '{{' in str(v)}
        assert set(defaults) - templated <= documented_defaults <= set(defaults), role.name
        for name in options:
            assert name.startswith(role.name + '_'), f'{role.name}: {name} lacks the role prefix'
            assert options[name].get('description'), f'{role.name}: {name} has no description'
        for name in templated:
            assert name in options and ('default' in options[name] or 'Defaults to' in str(options[name]['description'])), \
                f'{role.name}: {name} has a templated default its description does not give'
        for name, value in defaults.items():
            if name not in templated:
                assert options[name]['default'] == value, f'{role.name}: default of {name} differs'


def _ports(node, found):
    """Every integer value of a key ending in _port under node (a molecule inventory)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith('_port') and isinstance(value, int):
                found.append(value)
            else:
                _ports(value, found)
    elif isinstance(node, list):
        for value in node:
            _ports(value, found)
    return found


def test_molecule_scenarios_publish_on_ports_of_their_own():
    """The scenarios run in parallel on one daemon: two that publish on one port collide (seen in CI). A scenario's
    second stack (recovery's restore target) names its ports in its verifier, which counts here too."""
    owners = {}
    for path in sorted((ROOT / 'molecule').glob('*/molecule.yml')):
        scenario = path.parent.name
        inventory = yaml.safe_load(path.read_text()).get('provisioner', {}).get('inventory', {})
        ports = _ports(inventory, [])
        for conftest in path.parent.glob('tests/conftest.py'):
            ports += [int(p) for p in re.findall(r"'(?:notary|registry)': (\d+)", conftest.read_text())]
        for port in set(ports) - {4443, 5000}:  # the lab's ports, which fleet's clients are told about
            assert port not in owners, f'port {port}: scenarios {owners[port]} and {scenario}'
            owners[port] = scenario
