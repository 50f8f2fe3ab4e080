"""The recovery scenario's verifier: the stack dcttestrec (deployed by converge), a second restore target dcttestrec2,
and the playbooks they are driven with (backup_stack.yml, restore_stack.yml, stack.yml, this scenario's sign.yml)."""
import hashlib
import json
import os
import pathlib
import shutil
import sys
import uuid

import pytest
import requests

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / 'tests'))
# pylint: disable-next=wrong-import-position,unused-import
from stacktest import docker_client, print_logs_if_failed, pytest_runtest_makereport, run, wait_until  # noqa: E402,F401

ROOT = pathlib.Path(__file__).resolve().parents[3]
EPHEMERAL = pathlib.Path(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', '/nonexistent'))
BACKUPS = EPHEMERAL / 'backups'
CLIENTS = EPHEMERAL / 'clients'
PASSPHRASE = 'recovery-test-passphrase'
SIGN_PASSPHRASE = 'recovery-signer-passphrase'
SERVICES = ('front', 'mariadb', 'notary_signer', 'notary_server', 'registry')
# the scenario's stack and the second target (another name, other ports, its own controller directory)
STACKS = {
    'dcttestrec': {'notary': 26443, 'registry': 27000, 'state': EPHEMERAL / 'state'},
    'dcttestrec2': {'notary': 28443, 'registry': 29000, 'state': EPHEMERAL / 'state2'},
}
FIRST = 'dcttestrec'
REGISTRY = f'localhost:{STACKS[FIRST]["registry"]}'
NOTARY = f'localhost:{STACKS[FIRST]["notary"]}'


def lookaside(stack):
    """Where the stack's front serves the signature mirror's signatures from (the mirror role's default)."""
    return f'/var/lib/dct-trust-stack/{stack}/signatures'


def signatures(stack):
    """{path below the lookaside: SHA-256} of every file the mirror left there."""
    root = pathlib.Path(lookaside(stack))
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob('*') if p.is_file()} if root.exists() else {}


def inventory(stack):
    """A JSON inventory for one stack (the scenario's molecule.yml, with the stack's name, ports and state)."""
    conf = STACKS[stack]
    path = EPHEMERAL / f'inventory-{stack}.json'
    host = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
    stack_vars = {'trust_stack_name': stack, 'trust_stack_controller_dir': str(conf['state']),
                  'notary_server_port': conf['notary'], 'notary_server_bind_address': '127.0.0.1',
                  'registry_port': conf['registry'], 'registry_bind_address': '127.0.0.1',
                  'images_base_pull': False, 'stack_backup_dir': str(BACKUPS),
                  'front_signatures_dir': lookaside(stack)}
    path.write_text(json.dumps({'all': {'hosts': {'localhost': host}, 'vars': stack_vars,
                                        'children': {'trust_stack': {'hosts': {'localhost': {}}}}}}))
    return str(path)


def playbook(stack, name, check=True, timeout=900, **extra):
    """Run playbooks/<name>.yml against stack with extra vars (the passphrase in a 0600 file, not on the command line)."""
    EPHEMERAL.mkdir(parents=True, exist_ok=True)
    extra_file = EPHEMERAL / f'vars-{uuid.uuid4().hex[:8]}.json'
    extra_file.touch(mode=0o600)
    extra_file.write_text(json.dumps(dict({'stack_backup_passphrase': PASSPHRASE}, **extra)))
    try:
        return run(['ansible-playbook', '-i', inventory(stack), '-e', f'@{extra_file}', str(ROOT / 'playbooks' / f'{name}.yml')],
                   check=check, timeout=timeout)
    finally:
        extra_file.unlink()


def sign(signer, repository, tags, config_dir, notary=NOTARY):
    extra = {'server': f'https://{notary}', 'config_dir': str(config_dir), 'signer': signer, 'repository': repository,
             'sign_tags': tags, 'passphrase': SIGN_PASSPHRASE}
    return run(['ansible-playbook', '-i', 'localhost,', '-c', 'local', '-e', f'ansible_python_interpreter={sys.executable}',
                '-e', json.dumps(extra), str(pathlib.Path(__file__).resolve().parents[1] / 'sign.yml')], timeout=600)


def build(repo, tag):
    """A tiny image of its own per tag, in the local daemon."""
    context = EPHEMERAL / 'ctx' / uuid.uuid4().hex[:8]
    context.mkdir(parents=True)
    (context / 'Dockerfile').write_text(f'FROM scratch\nLABEL tag={repo}:{tag}\nCOPY Dockerfile /\n')
    run(['docker', 'build', '--no-cache', '-q', '-t', f'{repo}:{tag}', str(context)])


def registry_password(stack=FIRST):
    return (STACKS[stack]['state'] / 'credentials' / 'registry_admin').read_text().strip()


def ca_cert(stack=FIRST):
    return str(STACKS[stack]['state'] / 'pki' / 'ca.crt')


def inspect(refs, config_dir, notary=NOTARY):
    """`docker trust inspect` with config_dir's own trust cache (not emptied): {repository: entry}."""
    env = {'DOCKER_CONFIG': str(config_dir), 'DOCKER_CONTENT_TRUST_SERVER': f'https://{notary}'}
    out = run(['docker', 'trust', 'inspect'] + list(refs), env=env).stdout
    return {entry['Name']: entry for entry in json.loads(out)}


def answers(entry):
    """What a client learns from an inspect entry: tag -> (digest, signers), and the administrative keys."""
    tags = {t['SignedTag']: (t['Digest'], tuple(t['Signers'])) for t in entry['SignedTags']}
    admin = {k['Name']: sorted(key['ID'] for key in k['Keys']) for k in entry['AdministrativeKeys']}
    return tags, admin


def registry_has(registry, repo, digest, stack):
    name = repo.split('/', 1)[1]
    resp = requests.head(f'https://{registry}/v2/{name}/manifests/sha256:{digest}', verify=ca_cert(stack), timeout=10,
                         auth=('admin', registry_password(stack)),
                         headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'})
    return resp.status_code == 200


def fingerprint(stack):
    """What a refused restore must leave as it was: the stack's containers and volumes, its host files, its controller
    directory."""
    def names(kind):
        argv = ['docker', 'ps', '-a', '--format', '{{.Names}}'] if kind == 'ps' else ['docker', 'volume', 'ls', '-q']
        return run(argv + ['--filter', f'name=^{stack}_']).stdout.split()
    state = STACKS[stack]['state']
    files = sorted(str(p.relative_to(state)) for p in state.rglob('*')) if state.exists() else None
    return {'containers': sorted(names('ps')), 'volumes': sorted(names('volume')),
            'host files': os.path.exists(f'/etc/dct-trust-stack/{stack}'), 'controller': files}


def destroy(stack):
    """Lose the stack host: its containers, networks, volumes, host files (the mirror's lookaside too), and the
    controller's PKI and credentials."""
    run(['bash', '-c', f'docker ps -aq --filter name=^{stack}_ | xargs -r docker rm -f; '
                       f'docker network ls -q --filter name=^{stack}_ | xargs -r docker network rm; '
                       f'docker volume ls -q --filter name=^{stack}_ | xargs -r docker volume rm'])
    shutil.rmtree(f'/etc/dct-trust-stack/{stack}', ignore_errors=True)
    shutil.rmtree(f'/var/lib/dct-trust-stack/{stack}', ignore_errors=True)
    shutil.rmtree(STACKS[stack]['state'], ignore_errors=True)


def signer_aliases(stack):
    """{passphrase alias: number of notary-signer private keys it encrypts}, read in the database."""
    out = run(['docker', 'exec', '-i', f'{stack}_mariadb', 'mariadb', '--batch', '--skip-column-names'],
              stdin_text='SELECT passphrase_alias, COUNT(*) FROM notarysigner.private_keys GROUP BY passphrase_alias;\n').stdout
    return {line.split('\t')[0]: int(line.split('\t')[1]) for line in out.splitlines() if line.strip()}


def container_id(stack, service):
    return run(['docker', 'inspect', '--format', '{{.Id}}', f'{stack}_{service}']).stdout.strip()


@pytest.fixture(autouse=True)
def _print_logs_on_failure(request):
    yield
    print_logs_if_failed(request, FIRST, SERVICES)
