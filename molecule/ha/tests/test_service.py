"""The trust service spread over the three test hosts, as playbooks/ha.yml left it: signing with the collection's
sign.yml on host3 and DCT pulls, both through the entry (host3's balancer over the fronts of host1 and host2); then,
while four signers sign continuously, a Galera node, a notary-server, a notary-signer, a registry and a whole host's
Docker engine are killed one after another. Signing goes on (a run in flight may fail; the signer runs it again),
every tag a signer signed is there afterwards, read through the entry with an empty cache and compared with what
the registry serves, and the killed nodes come back (the engine restarts a killed container; a host whose engine was
killed gets its containers back from a re-run of the playbook). Last, a backup of the cluster restores onto one host
and onto the three hosts wiped of the stack, with every tag verified after."""
import base64
import json
import multiprocessing
import os
import pathlib
import shutil
import socket
import ssl
import tempfile
import threading
import time

import pytest
import requests

from conftest import (HOSTS, NODE, SCENARIO, STACK, ansible_playbook, client, converge, on_host, recap_changed, sql,
                      synced, wait_until)
from stacktest import run
from wrkload import wrk

ENTRY = '172.16.250.13'
REGISTRY = f'{ENTRY}:5000'
NOTARY_URL = f'https://{ENTRY}:4443'
CLIENT = HOSTS[2]
EPHEMERAL = os.environ.get('MOLECULE_EPHEMERAL_DIRECTORY', '')
STATE = os.path.join(EPHEMERAL, 'state')
CA = os.path.join(STATE, 'pki', 'ca.crt')
PLAYBOOKS = pathlib.Path(__file__).resolve().parents[3] / 'playbooks'
SIGN = str(PLAYBOOKS / 'sign.yml')
SIGNERS = 4
# the single-host stack the throughput is compared with (single.yml), on host3
ONE_REGISTRY = f'{ENTRY}:5001'
ONE_NOTARY_URL = f'https://{ENTRY}:4446'
ONE_STATE = os.path.join(EPHEMERAL, 'state-one')
THROUGHPUT_TAGS, THROUGHPUT_ROUNDS = 25, 3
RESULTS = pathlib.Path(__file__).resolve().parents[3] / 'build' / 'test-results'


def admin_password(state=STATE):
    with open(os.path.join(state, 'credentials', 'registry_admin')) as handle:
        return handle.read().strip()


def make_images(repository, tags):
    """Images of one small file whose content is their name, so every tag has a digest of its own, on host3."""
    on_host(CLIENT, ['sh', '-c', 'r=$0; for t in "$@"; do d=$(mktemp -d) && echo "$r:$t" > "$d/tag" && '
                     'tar -C "$d" -c . | docker import - "$r:$t" >/dev/null && rm -rf "$d" || exit 1; done',
                     repository] + list(tags))


def sign(repository, tags, check=True, server=NOTARY_URL):
    """sign.yml on host3 (trust_key, trust_signer, trust_sign) against server (the entry); the completed process."""
    images = '[{"repository": "%s", "tags": [%s]}]' % (repository, ', '.join('"%s"' % t for t in tags))
    return ansible_playbook(['-e', 'sign_hosts=trust_clients', '-e', 'sign_signer=ci', '-e', f'sign_server={server}',
                             '-e', '{"sign_images": %s}' % images,
                             '-e', '@' + os.path.join(STATE, 'sign_passphrases.json'), SIGN],
                            check=check, timeout=300)


def signed_tags(repository, server=NOTARY_URL, state=STATE):
    """{tag: hex digest} of repository's trust data, read through server (the entry) by the notary CLI with an empty
    cache (it verifies every signature chain from the root), with the CA and credentials in state."""
    with tempfile.TemporaryDirectory() as trust_dir:
        auth = base64.b64encode(f'admin:{admin_password(state)}'.encode()).decode()
        out = run(['notary', '-s', server, '-d', trust_dir, '--tlscacert', os.path.join(state, 'pki', 'ca.crt'),
                   'list', repository],
                  env={'NOTARY_AUTH': auth}).stdout
    rows = [line.split() for line in out.splitlines()]
    return {row[0]: row[1] for row in rows if len(row) == 4 and len(row[1]) == 64}


def manifest_head(registry, repository, reference, state=STATE):
    """HEAD of repository's manifest reference (a tag, or sha256:<hex>) at registry, with the CA and credentials in
    state; the response."""
    name = repository.split('/', 1)[1]
    return requests.head(f'https://{registry}/v2/{name}/manifests/{reference}', timeout=30,
                         verify=os.path.join(state, 'pki', 'ca.crt'), auth=('admin', admin_password(state)),
                         headers={'Accept': 'application/vnd.docker.distribution.manifest.v2+json'})


def registry_digest(repository, tag):
    """The digest (hex) the registry serves for repository:tag through the entry."""
    response = manifest_head(REGISTRY, repository, tag)
    assert response.status_code == 200, (repository, tag, response.status_code)
    return response.headers['Docker-Content-Digest'].split(':', 1)[1]


def secret_file(path, text):
    """text in a new 0600 file at path (a secret given to a playbook with -e @path, never on a command line)."""
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
        handle.write(text)
    return path


def write_passphrases():
    return secret_file(os.path.join(STATE, 'sign_passphrases.json'),
                       '{"sign_repository_passphrase": "ha-repository-passphrase", '
                       '"sign_root_passphrase": "ha-root-passphrase"}')


@pytest.fixture(scope='module')
def passphrases():
    """The signing passphrases, in a 0600 file of the controller's state (never on a command line)."""
    return write_passphrases()


def test_check_mode_on_the_converged_service_predicts_no_change():
    proc = converge(options=['--check', '--diff'])
    assert recap_changed(proc.stdout) == [0, 0, 0]
    assert 'failed=0' in proc.stdout and 'failed=1' not in proc.stdout


def test_an_inventory_ha_cannot_serve_is_refused_by_its_first_play_naming_each_problem(tmp_path):
    """Registry replicas without shared storage, and Galera nodes whose state checks are on other ports than the one
    the balancers check: ha.yml's first play refuses, naming both, and nothing runs on a host."""
    extra = tmp_path / 'bad.yml'
    extra.write_text('all:\n  hosts:\n    dcttestha_host2:\n      registry_storage_path: ""\n'
                     '      galera_check_port: 9300\n')
    proc = playbook('ha.yml', check=False, inventories=[str(extra)])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'registry_storage_path must name a shared file system, mounted on every host of the registry group' in out
    assert ('galera_check_port must be the same on every node of galera (the balancers check one port): '
            'dcttestha_host1 9200, dcttestha_host2 9300, dcttestha_host3 9200') in out, out[-3000:]
    assert out.count('PLAY [') == 1, out[-3000:]  # no play after the check


def test_signing_and_trusted_pulls_go_through_the_entry(passphrases):
    repository = f'{REGISTRY}/ha/entry'
    make_images(repository, ['v1', 'unsigned'])
    sign(repository, ['v1'])
    on_host(CLIENT, ['docker', 'push', f'{repository}:unsigned'])
    on_host(CLIENT, ['docker', 'rmi', f'{repository}:v1', f'{repository}:unsigned'])
    trusted = ['env', 'DOCKER_CONTENT_TRUST=1', f'DOCKER_CONTENT_TRUST_SERVER={NOTARY_URL}', 'docker', 'pull']
    digest = registry_digest(repository, 'v1')
    assert signed_tags(repository) == {'v1': digest}
    # the pull resolves the tag through the trust data, then pulls by that digest
    assert f'{repository}:v1@sha256:{digest}' in on_host(CLIENT, trusted + [f'{repository}:v1']).stdout
    refused = on_host(CLIENT, trusted + [f'{repository}:unsigned'], check=False)
    assert refused.returncode != 0 and 'No valid trust data for unsigned' in refused.stderr
    # a second run of the signing playbook changes nothing
    assert 'changed=0' in sign(repository, ['v1']).stdout


class Capture(threading.Thread):
    """The TCP payloads to or from port that cross the wire of a test host (the host end of its veth pair on the
    hosts' network), captured with a raw socket until stopped: [(source address, destination address, payload)]."""

    def __init__(self, host, port):
        super().__init__(daemon=True)
        peer = int(run(['docker', 'exec', host, 'cat', '/sys/class/net/eth0/iflink']).stdout)
        self.interface, self.port, self.packets = socket.if_indextoname(peer), port, []
        self.stop, self.ready = threading.Event(), threading.Event()

    def run(self):
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003)) as raw:
            raw.bind((self.interface, 0))
            raw.settimeout(0.5)
            self.ready.set()
            while not self.stop.is_set():
                try:
                    frame = raw.recv(65535)
                except socket.timeout:
                    continue
                if frame[12:14] != b'\x08\x00' or frame[23] != 6:  # IPv4, TCP
                    continue
                ip = frame[14:]
                tcp = ip[(ip[0] & 0x0f) * 4:int.from_bytes(ip[2:4], 'big')]
                ports = int.from_bytes(tcp[0:2], 'big'), int.from_bytes(tcp[2:4], 'big')
                payload = tcp[(tcp[12] >> 4) * 4:]
                if self.port in ports and payload:
                    self.packets.append((socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), payload))

    def between(self, one, other):
        return b''.join(p for source, dest, p in self.packets if {source, dest} == {one, other})


def test_the_notary_services_database_connections_across_hosts_are_tls(passphrases):
    """A capture on the hosts' network while host2's notary services use host1's node (every balancer's writer),
    signing through the entry: their MariaDB traffic is TLS records, no SQL in it. The protection off: a client on
    host3 that does not use TLS is seen in clear by the same capture (its account name and the node's refusal)."""
    repository = f'{REGISTRY}/ha/captured'
    make_images(repository, ['c1', 'c2'])
    capture = Capture(HOSTS[0], 3306)
    capture.start()
    capture.ready.wait(10)
    try:
        sign(repository, ['c1', 'c2'])
        # notary-server checks its database every 10 s: a window in which both of host2's services spoke
        time.sleep(11)
        plain = client(HOSTS[2], '172.16.250.11', False, 'SELECT 1')
    finally:
        capture.stop.set()
        capture.join(10)
    notary = capture.between('172.16.250.12', '172.16.250.11')
    clear = capture.between('172.16.250.13', '172.16.250.11')
    words = (b'tuf_files', b'private_keys', b'SELECT', b'INSERT', b'notaryserver', b'notarysigner')
    found = {'notary_bytes': len(notary), 'notary_tls_records': notary.count(b'\x17\x03\x03'),
             'plaintext_in_notary_traffic': [w.decode() for w in words if w in notary],
             'plain_client_bytes': len(clear), 'plain_client_seen_in_clear': b"Access denied for user 'server'" in clear}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'ha-db-tls-capture.json').write_text(json.dumps(found))
    print(found)
    assert plain.returncode != 0 and found['plain_client_seen_in_clear'] and b'server' in clear, found
    assert found['notary_bytes'] > 0 and found['notary_tls_records'] > 0 and not found['plaintext_in_notary_traffic'], found
    assert sorted(signed_tags(repository)) == ['c1', 'c2']


class Signer(threading.Thread):
    """Signs tags t1, t2, ... of its own repository, one sign.yml run each, until told to stop; a failed run is
    run again for the same tag."""

    def __init__(self, index, name='signer'):
        super().__init__(daemon=True)
        self.repository = f'{REGISTRY}/ha/{name}{index}'
        self.signed, self.failures, self.outputs = [], 0, []
        self.stop = threading.Event()

    def run(self):
        number = 1
        while not self.stop.is_set():
            tag = f't{number}'
            make_images(self.repository, [tag])
            started = time.monotonic()
            proc = sign(self.repository, [tag], check=False)
            self.outputs.append((started, proc.returncode, proc.stdout + proc.stderr))
            if proc.returncode == 0:
                self.signed.append(tag)
                number += 1
            else:
                self.failures += 1
                time.sleep(1)


def pid(host, container):
    return on_host(host, ['docker', 'inspect', '-f', '{{.State.Pid}}', container]).stdout.strip()


def sigkill(host, container):
    """SIGKILL the container's main process (the engine starts it again: restart policy unless-stopped)."""
    before = pid(host, container)
    on_host(host, ['kill', '-KILL', before])
    wait_until(f'{container} on {host} started again',
               lambda: on_host(host, ['docker', 'inspect', '-f', '{{.State.Running}} {{.State.Pid}}', container],
                               check=False).stdout.split() not in ([], ['true', before], ['false', '0']), timeout=90)


def front_health(address):
    """The status host address's front answers GET /_notary_server/health with (TLS verified for notary-server)."""
    context = ssl.create_default_context(cafile=CA)
    with socket.create_connection((address, 4443), timeout=30) as raw, context.wrap_socket(raw, server_hostname='notary-server') as tls:
        tls.sendall(b'GET /_notary_server/health HTTP/1.1\r\nHost: notary-server\r\nConnection: close\r\n\r\n')
        return int(tls.recv(64).split()[1])


def balancer_says(host, server_state):
    """Whether the balancer on host logged server_state (such as "notary-server1 is DOWN") as its last word on it."""
    log = on_host(host, ['docker', 'logs', f'{STACK}_balancer'], check=False)
    server = server_state.rsplit(' is ', 1)[0]
    lines = [line for line in (log.stdout + log.stderr).splitlines() if f'/{server} is ' in line]
    return bool(lines) and f'/{server_state}' in lines[-1]


def test_a_front_whose_notary_server_is_stopped_gets_no_entry_traffic(passphrases):
    """The entry checks each front through to its notary-server (GET /_notary_server/health over TLS): with the
    notary-server behind host1's front stopped, that front, still up and accepting connections (a TCP check would
    pass it), answers 502, and the entry sends it nothing: 4 signers signing meanwhile get no 502."""
    first = HOSTS[0]
    signers = [Signer(i, name='stopped') for i in range(1, SIGNERS + 1)]
    for signer in signers:
        make_images(signer.repository, ['t0'])
        sign(signer.repository, ['t0'])
        signer.signed.append('t0')
    for signer in signers:
        signer.start()
    time.sleep(5)
    on_host(first, ['docker', 'stop', f'{STACK}_notary_server'])
    wait_until('the entry marks host1\'s front down', lambda: balancer_says(CLIENT, 'notary-server1 is DOWN'), timeout=60)
    marked = time.monotonic()
    # the protection off: host1's front is up and answers (a TCP check passes it), with a 502 from behind it
    assert front_health('172.16.250.11') == 502
    counts = [len(s.signed) for s in signers]
    wait_until('every signer signs 3 tags more', lambda: all(len(s.signed) >= c + 3 for s, c in zip(signers, counts)), timeout=300)
    on_host(first, ['docker', 'start', f'{STACK}_notary_server'])
    wait_until('the entry marks host1\'s front up again', lambda: balancer_says(CLIENT, 'notary-server1 is UP'), timeout=120)
    counts = [len(s.signed) for s in signers]
    wait_until('every signer signs again', lambda: all(len(s.signed) > c for s, c in zip(signers, counts)), timeout=180)
    for signer in signers:
        signer.stop.set()
    for signer in signers:
        signer.join(timeout=300)
    # the runs started once the entry had marked the front down (one in flight at the stop may have failed)
    after = [(signer.repository, code, text) for signer in signers for at, code, text in signer.outputs if at > marked]
    bad_gateway = [(repository, code) for repository, code, text in after if '502' in text]
    counted = {'runs_after_marked_down': len(after), 'with_502': len(bad_gateway),
               'failed': sum(1 for r, code, t in after if code != 0),
               'failed_before': sum(1 for s in signers for at, code, t in s.outputs if at <= marked and code != 0)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'ha-entry-checks.json').write_text(json.dumps(counted))
    print(counted)
    assert after and not bad_gateway and all(code == 0 for r, code, t in after), bad_gateway
    for signer in signers:
        assert sorted(signed_tags(signer.repository)) == sorted(signer.signed), signer.repository


def galera_check(address):
    """(status, body) of the state check a Galera node serves at address:9200 (what the balancers ask)."""
    response = requests.get(f'http://{address}:9200/', timeout=10)
    return response.status_code, response.text.strip()


def galera_greets(address):
    """Whether the MariaDB at address:3306 accepts a connection and greets (protocol 10): what a TCP check sees."""
    with socket.create_connection((address, 3306), timeout=10) as raw:
        return raw.recv(5)[4:5] == b'\x0a'


def tcp_clients(host):
    """The number of connections over TCP on host's node (the notary services' through the balancers; the node's
    own replication threads and the tests' unix-socket sessions are not counted)."""
    rows = sql(host, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE HOST NOT LIKE 'localhost%' AND "
                     "HOST <> '' AND USER NOT IN ('system user', 'event_scheduler')")
    return int(rows[0])


def test_a_galera_node_out_of_synced_gets_no_new_connections_until_it_is_synced_again(passphrases):
    """Every balancer sends the notary services' connections to host1's node (the first of galera) while it is Synced.
    Desynced (SET GLOBAL wsrep_desync=ON: wsrep_local_state 2, Donor/Desynced), the node still accepts connections
    and answers (a TCP check passes it) but its state check answers 503: the balancers mark it down, its connections
    end, and signing goes on through host2's node with no connection to host1's; Synced again, it gets them back."""
    first, second = HOSTS[:2]
    balancers = HOSTS[:2]  # the hosts that run a notary service
    repository = f'{REGISTRY}/ha/desync'
    make_images(repository, ['d0', 'd1', 'd2', 'd3'])
    sign(repository, ['d0'])
    assert galera_check('172.16.250.11')[0] == 200 and tcp_clients(first) > 0 and tcp_clients(second) == 0
    sql(first, 'SET GLOBAL wsrep_desync = ON')
    try:
        for host in balancers:
            wait_until(f'the balancer on {host} marks host1\'s node down',
                       lambda h=host: balancer_says(h, 'mariadb1 is DOWN'), timeout=60)
        # the protection off: the desynced node accepts connections and greets; its state check says why it is out
        code, said = galera_check('172.16.250.11')
        assert galera_greets('172.16.250.11') and code == 503 and 'Donor/Desynced' in said, said
        wait_until('the desynced node\'s connections ended', lambda: tcp_clients(first) == 0, timeout=30)
        seen = []
        for tag in ('d1', 'd2'):
            sign(repository, [tag])
            seen.append((tcp_clients(first), tcp_clients(second)))
        assert all(on_first == 0 and on_second > 0 for on_first, on_second in seen), seen
    finally:
        sql(first, 'SET GLOBAL wsrep_desync = OFF')
    for host in balancers:
        wait_until(f'the balancer on {host} marks host1\'s node up', lambda h=host: balancer_says(h, 'mariadb1 is UP'),
                   timeout=60)
    sign(repository, ['d3'])
    back = (tcp_clients(first), tcp_clients(second))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'ha-galera-checks.json').write_text(json.dumps({'desynced_state_check': [code, said],
                                                               'tcp_clients_first_second_while_desynced': seen,
                                                               'tcp_clients_first_second_after': back}))
    assert back[0] > 0 and back[1] == 0, back
    assert sorted(signed_tags(repository)) == ['d0', 'd1', 'd2', 'd3']


def test_signing_goes_on_while_nodes_and_a_host_are_killed(passphrases):
    first, second = HOSTS[:2]
    signers = [Signer(i) for i in range(1, SIGNERS + 1)]
    for signer in signers:  # each repository's first tag also makes its trust data (root key, signer ci)
        make_images(signer.repository, ['t0'])
        sign(signer.repository, ['t0'])
        signer.signed.append('t0')
    for signer in signers:
        signer.start()

    def progress(seconds=8):
        """Wait, then require that every signer signed something since."""
        counts = [len(s.signed) for s in signers]
        time.sleep(seconds)
        wait_until('every signer signs again', lambda: all(len(s.signed) > c for s, c in zip(signers, counts)),
                   timeout=180)

    progress()
    sigkill(first, NODE)  # the Galera node the balancers send every write to
    progress()
    wait_until(f'{first} Synced again', lambda: synced(first), timeout=180)
    for service in ('notary_server', 'notary_signer', 'registry'):
        sigkill(first, f'{STACK}_{service}')
        progress()
    # a whole host: its engine and every container on it; the host starts its engine again (as systemd would),
    # which leaves the containers stopped until the playbook runs
    on_host(second, ['sh', '-c', 'kill -KILL $(pidof dockerd)'])
    progress()
    for signer in signers:
        signer.stop.set()
    for signer in signers:
        signer.join(timeout=300)
    print('signed:', {s.repository: len(s.signed) for s in signers}, 'failed runs:', {s.repository: s.failures for s in signers})
    wait_until(f'{second} engine back', lambda: on_host(second, ['docker', 'version'], check=False).returncode == 0,
               timeout=60)
    proc = converge()
    for host in HOSTS:
        wait_until(f'{host} Synced', lambda h=host: synced(h), timeout=120)
    running = on_host(second, ['docker', 'ps', '--format', '{{.Names}}']).stdout.split()
    assert sorted(running) == sorted(f'{STACK}_{s}' for s in
                                     ('mariadb', 'balancer', 'front', 'notary_signer', 'notary_server', 'registry'))
    assert 'failed=0' in proc.stdout
    # nothing lost: every tag a signer signed is signed, for the digest the registry serves
    for signer in signers:
        got = signed_tags(signer.repository)
        assert sorted(got) == sorted(signer.signed), signer.repository
        for tag, digest in got.items():
            assert registry_digest(signer.repository, tag) == digest, (signer.repository, tag)
    assert recap_changed(converge().stdout) == [0, 0, 0]


def test_after_the_whole_cluster_crashed_the_playbook_brings_it_back_with_every_tag_signed(passphrases):
    repositories = [f'{REGISTRY}/ha/entry'] + [f'{REGISTRY}/ha/signer{i}' for i in range(1, SIGNERS + 1)]
    before = {repository: signed_tags(repository) for repository in repositories}
    # every node SIGKILLed (the engine does not restart a container it was told to kill): grastate.dat says
    # seqno -1 on all three, so the playbook finds the most advanced node with galera_recovery
    for host in HOSTS:
        on_host(host, ['docker', 'kill', NODE])
    assert 'failed=0' in converge().stdout
    for host in HOSTS:
        wait_until(f'{host} Synced', lambda h=host: synced(h), timeout=120)
    assert {repository: signed_tags(repository) for repository in repositories} == before
    # and the service signs again
    repository = repositories[0]
    make_images(repository, ['v2'])
    sign(repository, ['v2'])
    assert signed_tags(repository)['v2'] == registry_digest(repository, 'v2')


def sign_at_once(repositories, tags, server):
    """tags of every repository signed by a sign.yml run of its own, all at once; the seconds they took."""
    procs = {}

    def one(repository):
        procs[repository] = sign(repository, tags, check=False, server=server)

    threads = [threading.Thread(target=one, args=(repository,)) for repository in repositories]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    assert all(proc.returncode == 0 for proc in procs.values()), server
    return elapsed


def test_four_signers_on_the_cluster_against_four_on_one_host(passphrases):
    """The throughput of 4 signers at once (each signing a batch of tags of its own repository with sign.yml) through
    the cluster's entry against the same on a single-host stack on host3, alternating, in one run; the figures go
    to build/test-results/ha.json, which make bench's report quotes (no timing assert: the machine is noisy)."""
    ansible_playbook([str(SCENARIO / 'single.yml')])
    # host3 a client of the single-host stack too: its CA where the docker CLI looks, logged in to its registry
    with open(os.path.join(ONE_STATE, 'pki', 'ca.crt')) as handle:
        on_host(CLIENT, ['sh', '-c', 'mkdir -p "$0" "$1" && cat > "$0/ca.crt" && cp "$0/ca.crt" "$1/ca.crt"',
                         f'/etc/docker/certs.d/{ONE_REGISTRY}', f'/root/.docker/tls/{ONE_NOTARY_URL.split("//")[1]}'],
                stdin_text=handle.read())
    on_host(CLIENT, ['docker', 'login', '-u', 'admin', '--password-stdin', ONE_REGISTRY],
            stdin_text=admin_password(ONE_STATE))
    sides = {'cluster': (REGISTRY, NOTARY_URL), 'one host': (ONE_REGISTRY, ONE_NOTARY_URL)}
    repositories = {side: [f'{sides[side][0]}/speed/signer{i}' for i in range(1, SIGNERS + 1)] for side in sides}
    for side, repos in repositories.items():  # trust data made first, outside the measurement
        for repository in repos:
            make_images(repository, ['t0'])
            sign(repository, ['t0'], server=sides[side][1])
    seconds = {side: [] for side in sides}
    for number in range(THROUGHPUT_ROUNDS):
        for side in (list(sides) if number % 2 == 0 else list(reversed(sides))):
            tags = [f'r{number}n{k:02d}' for k in range(THROUGHPUT_TAGS)]
            for repository in repositories[side]:
                make_images(repository, tags)
            seconds[side].append(sign_at_once(repositories[side], tags, sides[side][1]))
    signed = SIGNERS * THROUGHPUT_TAGS * THROUGHPUT_ROUNDS
    rates = {side: signed / sum(values) for side, values in seconds.items()}
    record = {'cores': multiprocessing.cpu_count(), 'signers': SIGNERS, 'tags_per_signer': THROUGHPUT_TAGS,
              'rounds': THROUGHPUT_ROUNDS, 'seconds': seconds, 'tags_per_second': rates,
              'ratio': rates['cluster'] / rates['one host']}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'ha.json').write_text(json.dumps(record, indent=2) + '\n')
    print('throughput:', record)
    states = {'cluster': STATE, 'one host': ONE_STATE}
    for side in sides:  # every tag of the measurement is signed
        for repository in repositories[side]:
            got = signed_tags(repository, server=sides[side][1], state=states[side])
            assert len(got) == 1 + THROUGHPUT_TAGS * THROUGHPUT_ROUNDS, repository


def front_reads(host):
    """The number of timestamp.json reads host's front has logged."""
    log = on_host(host, ['docker', 'logs', f'{STACK}_front'], check=False)
    return sum(1 for line in (log.stdout + log.stderr).splitlines() if '/timestamp.json' in line)


def test_metadata_reads_at_the_entry_spread_over_every_front(passphrases):
    """16 connections reading for 10 s at the entry, as a crowd of deploying hosts does: the front's health, then a
    repository's timestamp.json and targets.json as a user who may pull and not push (from the fronts' caches),
    and timestamp.json as the administrator (who may push: past the caches, to notary-server). Every front serves
    a share and no read fails; the rates go to build/test-results/ha-reads.json for make bench (this machine's
    cores are shared by every test host, so no rate is asserted)."""
    repository = f'{REGISTRY}/ha/entry'  # signed by test_signing_and_trusted_pulls_go_through_the_entry
    with open(os.path.join(STATE, 'credentials', 'user_deployer')) as handle:
        reader = base64.b64encode(f'deployer:{handle.read().strip()}'.encode()).decode()
    signer = base64.b64encode(f'admin:{admin_password()}'.encode()).decode()
    fronts = HOSTS[:2]
    before = dict((host, front_reads(host)) for host in fronts)
    tuf = f'/v2/{repository}/_trust/tuf/'
    measured = {}
    for name, path, auth in (('health', '/_notary_server/health', None), ('timestamp', tuf + 'timestamp.json', reader),
                             ('targets', tuf + 'targets.json', reader),
                             ('timestamp past the cache', tuf + 'timestamp.json', signer)):
        measured[name] = [wrk(NOTARY_URL + path, auth, connections=16, seconds=10)]
    served = dict((host, front_reads(host) - before[host]) for host in fronts)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'ha-reads.json').write_text(json.dumps(measured))
    print(measured, served)
    assert all(runs[0]['errors'] == 0 and runs[0]['requests'] > 0 for runs in measured.values()), measured
    assert all(count > 0 for count in served.values()), served


# ------------------------------------------------------------------ backup and restore of the cluster
# the single-host stack a backup of the cluster is restored onto, on host3 beside the cluster's entry
RESTORED = {'trust_stack_name': 'dcttestrestore', 'trust_stack_controller_dir': os.path.join(EPHEMERAL, 'state-restore'),
            'stack_backup_from_stack': STACK, 'registry_port': 5002, 'notary_server_port': 4445,
            # its own registry volume, not the cluster's shared storage (the inventory's registry_storage_path)
            'registry_storage_path': ''}


def playbook(name, check=True, inventories=(), extra=()):
    """A playbook of the collection against the scenario's inventory (and inventories), with the backup's
    passphrase and directory (a 0600 file) and extra (files of variables); the completed process."""
    settings = secret_file(os.path.join(EPHEMERAL, 'backup_vars.json'), json.dumps(
        {'stack_backup_passphrase': 'ha-backup-passphrase', 'stack_backup_dir': os.path.join(EPHEMERAL, 'backups')}))
    arguments = [option for path in inventories for option in ('-i', path)]
    arguments += ['-e', '@' + settings] + [option for path in extra for option in ('-e', '@' + path)]
    return ansible_playbook(arguments + [str(PLAYBOOKS / name)], check=check)


def trust_data(server=NOTARY_URL, state=STATE, guns=None):
    """{repository: ({tag: hex digest}, root.json's bytes)} of guns (default: every repository with trust data in
    the cluster's database), each read through server by the notary CLI with an empty cache (signed_tags), its root
    as served."""
    guns = guns or sql(HOSTS[0], 'SELECT DISTINCT gun FROM notaryserver.tuf_files ORDER BY gun')
    out = {}
    for gun in guns:
        root = requests.get(f'{server}/v2/{gun}/_trust/tuf/root.json', verify=os.path.join(state, 'pki', 'ca.crt'),
                            auth=('admin', admin_password(state)), timeout=30)
        assert root.status_code == 200, (server, gun, root.status_code)
        out[gun] = (signed_tags(gun, server=server, state=state), root.content)
    return out


def unserved(data, registry, state=STATE):
    """The (repository, digest) of data's signed tags that registry does not serve by digest."""
    return [(gun, digest) for gun, (tags, dummy) in data.items() for digest in sorted(set(tags.values()))
            if manifest_head(registry, gun, f'sha256:{digest}', state).status_code != 200]


@pytest.fixture(scope='module')
def backup():
    """The trust data of the cluster as it is after every earlier test, then a backup of it (backup_ha.yml)."""
    before = trust_data()
    proc = playbook('backup_ha.yml')
    sets = sorted(pathlib.Path(EPHEMERAL, 'backups').glob(f'{STACK}-*'))
    manifest = json.loads((sets[-1] / 'manifest.json').read_text())
    return {'before': before, 'out': proc.stdout, 'manifest': manifest}


def test_a_backup_of_the_cluster_restores_onto_one_host_with_every_tag_verified(backup):
    """backup_ha.yml takes the set on a host with a Synced Galera node and a registry replica; restore_stack.yml
    restores it onto host3 as a single-host stack of another name (ports 5002, 4445): every repository's tags read
    with an empty cache through it are the cluster's, its roots the same bytes, every signed digest in its registry."""
    before, manifest = backup['before'], backup['manifest']
    assert len(before) >= 5 and all(tags for tags, dummy in before.values()), before
    assert manifest['host'] in HOSTS[:2] and manifest['galera_group'] == 'galera', manifest
    assert 'failed=0' in backup['out']
    extra = pathlib.Path(EPHEMERAL, 'restore_one.yml')
    extra.write_text('trust_stack:\n  hosts:\n    %s: {}\n' % CLIENT)
    settings = secret_file(os.path.join(EPHEMERAL, 'restore_one.json'), json.dumps(RESTORED))
    started = time.monotonic()
    playbook('restore_stack.yml', inventories=[str(extra)], extra=[settings])
    took = time.monotonic() - started
    server, state = f'https://{ENTRY}:{RESTORED["notary_server_port"]}', RESTORED['trust_stack_controller_dir']
    assert trust_data(server, state, guns=list(before)) == before
    assert unserved(before, f'{ENTRY}:{RESTORED["registry_port"]}', state) == []
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'ha-restore.json').write_text(json.dumps(
        {'repositories': len(before), 'tags': sum(len(tags) for tags, dummy in before.values()),
         'backup_sizes': manifest['sizes'], 'one_host_restore_seconds': round(took, 1)}, indent=2) + '\n')
    # the restored stack goes, so that the fresh cluster below has host3 to itself
    remove_stack(CLIENT, RESTORED['trust_stack_name'])


def remove_stack(host, stack):
    """stack's containers, volumes, networks and files on host (by the stack's name prefix)."""
    on_host(host, ['sh', '-c', 'set -e; by="name=^$0_"; '
                   'c=$(docker ps -aq --filter "$by"); [ -z "$c" ] || docker rm -f $c >/dev/null; '
                   'v=$(docker volume ls -q --filter "$by"); [ -z "$v" ] || docker volume rm $v >/dev/null; '
                   'n=$(docker network ls -q --filter "$by"); [ -z "$n" ] || docker network rm $n >/dev/null; '
                   'rm -rf /etc/dct-trust-stack/"$0" /var/lib/dct-trust-stack/"$0"', stack])
    assert on_host(host, ['docker', 'ps', '-aq', '--filter', f'name=^{stack}_']).stdout.strip() == ''


def wipe_cluster():
    """Every trace of the cluster on the three hosts (its containers, volumes, networks, files, Galera data, the
    shared registry storage) and its controller directory: what is left is three hosts with images only."""
    for host in HOSTS:
        remove_stack(host, STACK)
    on_host(HOSTS[0], ['rm', '-rf', '/srv/dct-shared/registry'])
    shutil.rmtree(STATE + '-wiped', ignore_errors=True)
    os.rename(STATE, STATE + '-wiped')


def test_a_backup_of_the_cluster_restores_onto_a_fresh_cluster_with_every_tag_verified(backup):
    """The last test (it replaces the cluster). restore_ha.yml over the running cluster is refused by name with
    nothing changed; onto the three hosts wiped of every trace of the stack, it deploys the cluster with the set's
    PKI and credentials and loads the set: every repository's tags read with an empty cache through the entry are
    what they were, the roots the same bytes, every signed digest served, a converge after changes nothing and
    the service signs again."""
    before = backup['before']
    with open(CA, 'rb') as handle:
        ca = handle.read()
    refused = playbook('restore_ha.yml', check=False)
    # ansible-core writes a task's failure on standard error
    said = ' '.join((refused.stdout + refused.stderr).split())
    assert refused.returncode != 0
    for host in HOSTS:
        assert f'stack {STACK} on {host} already has its database' in said, host
    with open(CA, 'rb') as handle:
        assert handle.read() == ca
    assert all(synced(host) for host in HOSTS)

    wipe_cluster()
    started = time.monotonic()
    proc = playbook('restore_ha.yml')
    took = time.monotonic() - started
    assert 'failed=0' in proc.stdout
    for host in HOSTS:
        wait_until(f'{host} Synced', lambda h=host: synced(h), timeout=120)
    with open(CA, 'rb') as handle:
        assert handle.read() == ca
    assert trust_data() == before
    assert unserved(before, REGISTRY) == []
    # every node has the data, not only the one it was loaded into
    counts = [sql(host, 'SELECT COUNT(*) FROM notaryserver.tuf_files') for host in HOSTS]
    assert counts[0] == counts[1] == counts[2], counts
    assert recap_changed(converge().stdout) == [0, 0, 0]
    write_passphrases()
    repository = f'{REGISTRY}/ha/entry'
    make_images(repository, ['restored'])
    sign(repository, ['restored'])
    assert signed_tags(repository)['restored'] == registry_digest(repository, 'restored')
    record = json.loads((RESULTS / 'ha-restore.json').read_text())
    record['cluster_restore_seconds'] = round(took, 1)
    (RESULTS / 'ha-restore.json').write_text(json.dumps(record, indent=2) + '\n')
