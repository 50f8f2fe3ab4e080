"""Upgrades lose nothing; the tarball users install is what is tested (issue 35).

The collection is built with `ansible-galaxy collection build` and installed into an empty collections path: the
upgrades run it from there (`ansible-playbook dct.trust_stack.stack`), with no checkout on the path. Each earlier
version is a git worktree of its commit (its tag once there is one), run from there with its own ansible.cfg and only
itself on the collections path (plus the community collections of the venv). After each upgrade: every tag signed
before verifies to the same digest, pulls with content trust, every user logs in, the new version signs, a second
run changes nothing, the stack records the version, and a downgrade is refused with nothing changed."""
import json
import os
import pathlib
import re
import secrets
import shutil
import site
import subprocess
import sys
import tarfile
import uuid

import pytest
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / 'tests'))
# pylint: disable-next=wrong-import-position
from stacktest import docker_client, run  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[3]
EPHEMERAL = pathlib.Path(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', '/nonexistent'))
STACK, NOTARY_PORT, REGISTRY_PORT = 'dcttestup', 38443, 39000
NOTARY, REGISTRY = f'localhost:{NOTARY_PORT}', f'localhost:{REGISTRY_PORT}'
DOCKER_28 = '/usr/local/bin/docker'
PASSPHRASES = {'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE': 'upgrade-root-passphrase',
               'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE': 'upgrade-repository-passphrase'}
# the earlier versions upgraded from, by commit (a clone need not carry the tags): 0.4.0 (before the front: the registry
# and notary-server published the ports the front now publishes), 0.6.0 (the first with the front), and every release
# from 1.0.0 on (1.0.0 is tag 1.0.0)
EARLIER = {'0.4.0': 'd6798a5', '0.6.0': '5917eff', '1.0.0': 'e7db6e9'}
# the community collections the venv's ansible package brings (community.docker, community.crypto)
COMMUNITY = next(p for p in site.getsitepackages() if (pathlib.Path(p) / 'ansible_collections' / 'community').is_dir())
# what the tarball must not hold, and must hold
NOT_SHIPPED = ('molecule/', 'tests/', 'scripts/', 'bench/', '.lab/', 'build/', '.venv', 'Makefile', 'ansible.cfg', '.git/')
SHIPPED = ('MANIFEST.json', 'FILES.json', 'README.md', 'CHANGELOG.rst', 'plugins/modules/trust_pull.py', 'roles/front/tasks/main.yml',
           'playbooks/stack.yml', 'docs/ARCHITECTURE.md', 'changelogs/changelog.yaml', 'meta/runtime.yml')


def galaxy_version(root):
    return yaml.safe_load((root / 'galaxy.yml').read_text())['version']


def build_and_install(source, where):
    """Build the collection in source and install the tarball into the empty collections path where/collections:
    (tarball path, collections path)."""
    shutil.rmtree(where, ignore_errors=True)
    (where / 'dist').mkdir(parents=True)
    run(['ansible-galaxy', 'collection', 'build', '--output-path', str(where / 'dist'), str(source)])
    # an empty collections path: the installed collection alone in it
    tarball = next((where / 'dist').glob('dct-trust_stack-*.tar.gz'))
    # --force: the checkout this runs from is on the collections path with the same version, which install would take
    # for this collection already installed
    run(['ansible-galaxy', 'collection', 'install', '--force', '--no-deps', '-p', str(where / 'collections'), str(tarball)])
    return tarball, where / 'collections'


@pytest.fixture(scope='module')
def installed():
    tarball, path = build_and_install(ROOT, EPHEMERAL / 'installed')
    return {'tarball': tarball, 'path': path, 'version': galaxy_version(ROOT)}


def inventory(state):
    """The scenario's inventory, the same for every version: alice is a front user (versions before the front ignore
    front_users)."""
    credentials = state / 'credentials'
    credentials.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not (credentials / 'user_alice').exists():
        (credentials / 'user_alice').write_text(secrets.token_urlsafe(24))
        os.chmod(credentials / 'user_alice', 0o600)
    path = state.parent / 'inventory.yml'
    path.write_text(yaml.safe_dump({'all': {
        'vars': {'trust_stack_name': STACK, 'trust_stack_controller_dir': str(state), 'images_base_pull': False,
                 'notary_server_port': NOTARY_PORT, 'notary_server_bind_address': '127.0.0.1',
                 'registry_port': REGISTRY_PORT, 'registry_bind_address': '127.0.0.1',
                 'front_users': [{'name': 'alice', 'password': "{{ lookup('ansible.builtin.file', trust_stack_controller_dir"
                                                               " ~ '/credentials/user_alice') }}"}]},
        'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}},
        'children': {'trust_stack': {'hosts': {'localhost': {}}}}}}))
    return path


def user_config():
    """An ansible.cfg as a user of the installed collection has one: no collections path of this checkout."""
    path = EPHEMERAL / 'ansible.cfg'
    path.write_text('[defaults]\ninterpreter_python = auto_silent\nretry_files_enabled = false\n')
    return path


def playbook(target, collections, config=None, check=True, extra=()):
    """ansible-playbook target (a path, or a playbook's FQCN) with only collections and the community collections on
    the collections path; returns (process, {'changed': n, 'failed': n})."""
    env = {'ANSIBLE_COLLECTIONS_PATH': f'{collections}:{COMMUNITY}', 'ANSIBLE_CONFIG': str(config or user_config()),
           'ANSIBLE_FORCE_COLOR': '0'}
    proc = run(['ansible-playbook', '-i', str(EPHEMERAL / 'inventory.yml')] + list(extra) + [str(target)], env=env,
               check=False, timeout=1200)
    recap = re.search(r'localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', proc.stdout)
    counts = {'changed': int(recap.group(1)), 'failed': int(recap.group(2))} if recap else {}
    if check:
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, counts


def destroy_stack():
    """The scenario's stack gone (containers, networks, volumes by its name; its host files and controller state)."""
    for kind in ('container', 'network', 'volume'):
        listing = ['ps', '-aq'] if kind == 'container' else [kind, 'ls', '-q']
        ids = run(['docker'] + listing + ['--filter', f'name=^{STACK}_']).stdout.split()
        if ids:
            run(['docker', 'rm', '-f'] + ids if kind == 'container' else ['docker', kind, 'rm'] + ids)
    for path in (f'/etc/dct-trust-stack/{STACK}', f'/var/lib/dct-trust-stack/{STACK}', EPHEMERAL / 'state'):
        shutil.rmtree(path, ignore_errors=True)


def worktree(version):
    """The earlier version's commit checked out in a worktree, linked as its own collections path."""
    tree = EPHEMERAL / 'versions' / version
    if not tree.exists():
        tree.parent.mkdir(parents=True, exist_ok=True)
        run(['git', '-C', str(ROOT), 'worktree', 'add', '--detach', str(tree), EARLIER[version]])
    link = tree / 'build' / 'collections' / 'ansible_collections' / 'dct' / 'trust_stack'
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(tree)
    return tree


def stack_containers():
    """{container: (ID, spec label)} of the stack."""
    ids = run(['docker', 'ps', '-aq', '--filter', f'name=^{STACK}_']).stdout.split()
    return dict((c['Name'].lstrip('/'), (c['Id'], (c['Config']['Labels'] or {}).get('org.dct.trust_stack.spec')))
                for c in json.loads(run(['docker', 'inspect'] + ids).stdout))


def trust_inspect(repos, workdir):
    """{repository: [(tag, digest, signers)]} as `docker trust inspect` shows it to a client with no trust cache."""
    config = workdir / f'inspect-{uuid.uuid4().hex[:6]}'
    env = docker_client(str(config), NOTARY, REGISTRY, str(EPHEMERAL / 'state' / 'pki' / 'ca.crt'),
                        password=(EPHEMERAL / 'state' / 'credentials' / 'registry_admin').read_text().strip())
    out = json.loads(run([DOCKER_28, 'trust', 'inspect'] + list(repos), env=env).stdout)
    return dict((e['Name'], sorted((t['SignedTag'], t['Digest'], tuple(t['Signers'])) for t in e['SignedTags'])) for e in out)


@pytest.mark.parametrize('version', sorted(EARLIER))
def test_an_upgrade_keeps_every_signature_image_and_user(version, installed, tmp_path):
    destroy_stack()
    state = EPHEMERAL / 'state'
    inventory(state)
    tree = worktree(version)
    playbook(tree / 'playbooks' / 'stack.yml', tree / 'build' / 'collections', tree / 'ansible.cfg')

    # sign as users of that version did: docker push with content trust, as the administrator
    ca = str(state / 'pki' / 'ca.crt')
    admin = (state / 'credentials' / 'registry_admin').read_text().strip()
    env = dict(docker_client(str(tmp_path / 'signer'), NOTARY, REGISTRY, ca, password=admin), **PASSPHRASES)
    repos = [f'{REGISTRY}/upgrade/app', f'{REGISTRY}/upgrade/db']
    for repo in repos:
        for tag in ('v1', 'v2'):
            context = tmp_path / uuid.uuid4().hex[:8]
            context.mkdir()
            (context / 'stamp').write_text(uuid.uuid4().hex)
            (context / 'Dockerfile').write_text('FROM scratch\nCOPY stamp /\n')
            run([DOCKER_28, 'build', '--no-cache', '-q', '-t', f'{repo}:{tag}', str(context)], env=env)
            run([DOCKER_28, 'push', f'{repo}:{tag}'], env=dict(env, DOCKER_CONTENT_TRUST='1'))
    before = trust_inspect(repos, tmp_path)
    assert all(len(tags) == 2 for tags in before.values()), before

    # the upgrade, with the installed tarball, by the playbook's FQCN; then again: nothing to do
    proc, first = playbook('dct.trust_stack.stack', installed['path'])
    assert first['failed'] == 0 and 'port is already allocated' not in proc.stdout
    dummy, again = playbook('dct.trust_stack.stack', installed['path'])
    assert again == {'changed': 0, 'failed': 0}, again
    assert pathlib.Path(f'/etc/dct-trust-stack/{STACK}/version').read_text().strip() == installed['version']

    # every signature verifies to the same digest, with an empty trust cache; every tag pulls with content trust
    assert trust_inspect(repos, tmp_path) == before
    puller = dict(docker_client(str(tmp_path / 'puller'), NOTARY, REGISTRY, ca, password=admin), DOCKER_CONTENT_TRUST='1')
    for repo in repos:
        for tag in ('v1', 'v2'):
            run([DOCKER_28, 'image', 'rm', f'{repo}:{tag}'], check=False)
            pulled = run([DOCKER_28, 'pull', f'{repo}:{tag}'], env=puller)
            assert next(d for t, d, dummy in before[repo] if t == tag) in pulled.stdout + pulled.stderr
    # every user logs in: the administrator of every version, and alice (a front user)
    alice = (state / 'credentials' / 'user_alice').read_text().strip()
    for user, password in (('admin', admin), ('alice', alice)):
        run([DOCKER_28, 'login', '-u', user, '--password-stdin', REGISTRY], env={'DOCKER_CONFIG': str(tmp_path / f'login-{user}')},
            stdin_text=password)

    # the new version signs in the upgraded stack (its trust_sign, from the tarball)
    sign = tmp_path / 'sign.yml'
    sign.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': [{
        'name': 'Sign v3 with the installed collection', 'dct.trust_stack.trust_sign': {
            'repository': repos[0], 'tags': ['v3'], 'server': f'https://{NOTARY}', 'config_dir': str(tmp_path / 'signer'),
            'root_passphrase': PASSPHRASES['DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE'],
            'repository_passphrase': PASSPHRASES['DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE']}}]}]))
    run([DOCKER_28, 'tag', f'{repos[0]}:v2', f'{repos[0]}:v3'])
    playbook(sign, installed['path'], extra=['-e', f'ansible_python_interpreter={sys.executable}'])
    after = trust_inspect(repos, tmp_path)
    assert [t for t, d, s in after[repos[0]]] == ['v1', 'v2', 'v3'] and after[repos[1]] == before[repos[1]]


def test_a_downgrade_is_refused_and_changes_nothing(installed, tmp_path):
    """The stack the last upgrade left, converged by this version (converged here when this test runs alone): an older
    build (this tree, its version set below the recorded one) is refused before anything changes."""
    recorded = pathlib.Path(f'/etc/dct-trust-stack/{STACK}/version')
    if not recorded.exists():
        inventory(EPHEMERAL / 'state')
        playbook('dct.trust_stack.stack', installed['path'])
    assert recorded.read_text().strip() == installed['version']
    older = tmp_path / 'older'
    shutil.copytree(ROOT, older, ignore=shutil.ignore_patterns('.git', '.venv*', 'build', '.lab', 'molecule', '__pycache__'))
    text = (older / 'galaxy.yml').read_text()
    (older / 'galaxy.yml').write_text(re.sub(r'^version: .*$', 'version: 0.0.1', text, flags=re.M))
    dummy, path = build_and_install(older, tmp_path / 'older-installed')
    containers = stack_containers()
    proc, counts = playbook('dct.trust_stack.stack', path, check=False)
    assert proc.returncode != 0 and counts == {'changed': 0, 'failed': 1}
    said = ' '.join((proc.stdout + proc.stderr).split())
    assert f'downgrade refused: the stack on localhost was last converged by dct.trust_stack {installed["version"]}' in said
    assert 'newer than this collection, 0.0.1' in said and 'Nothing was changed' in said
    assert stack_containers() == containers and recorded.read_text().strip() == installed['version']


def test_the_tarball_holds_the_collection_and_nothing_else(installed):
    with tarfile.open(installed['tarball']) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    size = installed['tarball'].stat().st_size
    print(f'{installed["tarball"].name}: {size} bytes, {len(names)} files')
    assert not [n for n in names if n.startswith(NOT_SHIPPED) or '__pycache__' in n or n.endswith(('.pyc', '.tar.gz'))]
    assert all(n in names for n in SHIPPED), [n for n in SHIPPED if n not in names]
    assert size < 1024 * 1024


def test_every_plugin_and_role_documents_itself_from_the_installed_tarball(installed):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(installed['path']), ANSIBLE_CONFIG=str(user_config()))
    root = installed['path'] / 'ansible_collections' / 'dct' / 'trust_stack'
    # modules and lookups are Python files; filters are documented in a YAML file each
    documented = {'module': sorted(p.stem for p in (root / 'plugins' / 'modules').glob('*.py')),
                  'lookup': sorted(p.stem for p in (root / 'plugins' / 'lookup').glob('*.py')),
                  'filter': sorted(p.stem for p in (root / 'plugins' / 'filter').glob('*.yml'))}
    assert all(documented.values()), documented
    for kind, names in documented.items():
        for name in names:
            shown = subprocess.run(['ansible-doc', '-t', kind, f'dct.trust_stack.{name}'], env=env, capture_output=True, text=True, check=False)
            assert shown.returncode == 0 and 'ERROR' not in shown.stderr, (kind, name, shown.stderr[-1000:])
    for role in sorted(p.name for p in (root / 'roles').iterdir()):
        shown = subprocess.run(['ansible-doc', '-t', 'role', f'dct.trust_stack.{role}'], env=env, capture_output=True, text=True, check=False)
        assert shown.returncode == 0 and 'ENTRY POINT' in shown.stdout, (role, shown.stderr[-1000:])
