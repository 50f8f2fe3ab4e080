"""The ha scenario's verifier: three test hosts (containers with a Docker engine of their own, reached over SSH by
the playbooks), the stack spread over them by playbooks/ha.yml as converge left it (a Galera node on each). The tests
reach a node's MariaDB through its host's engine (docker exec into the host, then docker exec into the node) and
drive the service with converge.yml."""
import os
import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / 'tests'))
# pylint: disable-next=wrong-import-position,unused-import
from stacktest import pytest_runtest_makereport, run, wait_until  # noqa: E402,F401

SCENARIO = pathlib.Path(__file__).resolve().parents[1]
STACK = 'dcttestha'
HOSTS = ('dcttestha_host1', 'dcttestha_host2', 'dcttestha_host3')
NODE = f'{STACK}_mariadb'
STATE = os.path.join(os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', ''), 'state')
PKI = os.path.join(STATE, 'pki')


def on_host(host, argv, check=True, stdin_text=None, timeout=120):
    """argv run on a test host (in its container, against its own engine)."""
    return run(['docker', 'exec'] + (['-i'] if stdin_text is not None else []) + [host] + argv,
               check=check, stdin_text=stdin_text, timeout=timeout)


def sql(host, statement, check=True):
    """The rows (tab-separated lines) of statement run on host's node as root over its unix socket."""
    proc = on_host(host, ['docker', 'exec', '-i', NODE, 'mariadb', '-NB'], check=check, stdin_text=statement)
    return proc.stdout.splitlines() if proc.returncode == 0 else None


def status(host):
    """host's node's wsrep status (a dict), or {} when it does not answer."""
    rows = sql(host, "SHOW GLOBAL STATUS LIKE 'wsrep_%'", check=False) or []
    return dict(row.split('\t', 1) for row in rows if '\t' in row)


def synced(host, size=3):
    got = status(host)
    return got.get('wsrep_local_state_comment') == 'Synced' and got.get('wsrep_cluster_size') == str(size)


def client(host, address, tls, statement):
    """A MariaDB client on host's node container, as the notary-server account (its password in an option file
    written from stdin, never on a command line), at address over TCP: with TLS verified against the stack CA, or
    without TLS. The completed process."""
    with open(os.path.join(STATE, 'credentials', 'mariadb_server')) as handle:
        password = handle.read().strip()
    options = (['--ssl', '--ssl-ca=/etc/dct/ca.crt', '--ssl-verify-server-cert'] if tls else ['--skip-ssl'])
    script = ('umask 077; cat > /tmp/dct-test.cnf; mariadb --defaults-extra-file=/tmp/dct-test.cnf -NB '
              f'-h {address} -u server {" ".join(options)} -e "$0"; rc=$?; rm -f /tmp/dct-test.cnf; exit $rc')
    return on_host(host, ['docker', 'exec', '-i', NODE, 'sh', '-c', script, statement], check=False,
                   stdin_text=f'[client]\npassword={password}\n')


def ansible_playbook(arguments, check=True, timeout=900):
    """ansible-playbook against the scenario's inventory with arguments (options, then the playbook); the completed
    process."""
    inventory = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])
    # plain output: molecule's verifier runs with ANSIBLE_FORCE_COLOR, which colours the recap
    return run(['ansible-playbook', '-i', inventory] + list(arguments), check=check, timeout=timeout,
               env={'ANSIBLE_FORCE_COLOR': '0', 'ANSIBLE_NOCOLOR': '1'})


def converge(check=True, options=()):
    """converge.yml against the scenario's inventory (with ansible-playbook's options); the completed process."""
    return ansible_playbook(list(options) + [str(SCENARIO / 'converge.yml')], check=check)


def recap_changed(out):
    """Every host's changed= count from a playbook's recap (one per host: a missing recap fails the comparison)."""
    return [int(part.split('=')[1]) for line in out.splitlines() if ' : ok=' in line
            for part in line.split() if part.startswith('changed=')]


@pytest.fixture(scope='session')
def cluster():
    """The three nodes, each Synced in a cluster of three, and a table the tests write to."""
    for host in HOSTS:
        wait_until(f'{host} Synced in a cluster of 3', lambda h=host: synced(h), timeout=120)
    sql(HOSTS[0], 'CREATE DATABASE IF NOT EXISTS hatest; CREATE TABLE IF NOT EXISTS hatest.marks '
                  '(id INT AUTO_INCREMENT PRIMARY KEY, mark VARCHAR(64) NOT NULL UNIQUE) ENGINE=InnoDB')
    return HOSTS
