"""A Galera cluster across three test hosts: replication and state transfers are TLS with the stack CA's
certificates (a peer without one is refused), writes reach every node, a killed node and a host whose Docker engine
was killed come back and catch up, and after a full stop the playbook starts the cluster from the most advanced
node, so no committed write is lost."""
import os
import socket
import ssl
import subprocess
import uuid

import pytest

from conftest import HOSTS, NODE, PKI, client, converge, on_host, recap_changed, run, sql, status, synced, wait_until

DATA = '/var/lib/dct-trust-stack/dcttestha/galera'
# the test hosts' addresses (molecule.yml); Galera's replication port
PEERS = ('172.16.250.11', '172.16.250.12', '172.16.250.13')
GCOMM = 4567


def mark(host):
    """Write a new mark on host's node; return it."""
    value = uuid.uuid4().hex
    sql(host, f"INSERT INTO hatest.marks (mark) VALUES ('{value}')")
    return value


def has(host, value):
    return sql(host, f"SELECT COUNT(*) FROM hatest.marks WHERE mark = '{value}'", check=False) == ['1']


def test_each_host_runs_its_own_engine_and_network():
    ids = {on_host(h, ['docker', 'info', '-f', '{{.ID}}']).stdout.strip() for h in HOSTS}
    assert len(ids) == len(HOSTS)
    addresses = [status(h).get('wsrep_incoming_addresses', '') for h in HOSTS]
    assert all(a.count(':3306') == 3 for a in addresses), addresses


def test_another_process_on_a_galera_port_stops_the_playbook_on_every_host_before_it_changes_anything(cluster):
    """A process outside the node's container listening on 4444 (where a joining node takes a state transfer) on
    host3: the playbook refuses on every host, naming the host, the port and the process, and changes nothing. The
    nodes' own ports (their containers' mariadbd and state check) never count: every other converge passes."""
    third = cluster[2]
    pid = on_host(third, ['sh', '-c', 'python3 -m http.server 4444 >/dev/null 2>&1 & echo $!']).stdout.strip()
    try:
        listening = ['sh', '-c', 'cat /proc/net/tcp /proc/net/tcp6 | grep -q ":115C [0-9A-F]*:0000 0A"']
        wait_until('a listener on 4444', lambda: on_host(third, listening, check=False).returncode == 0, timeout=30)
        proc = converge(check=False)
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0 and f'another process listens there - {third}: 4444/python3' in out, out[-3000:]
        assert len([line for line in proc.stdout.splitlines() if ' : ok=' in line and ' failed=1 ' in line]) == 3
        assert recap_changed(proc.stdout) == [0, 0, 0]
    finally:
        on_host(third, ['kill', pid], check=False)
    assert all(synced(host) for host in cluster)


def tls_peer(address, certificate):
    """Connect to a node's replication port as a peer would, over TLS verified against the stack CA, presenting
    certificate (a (cert, key) pair) or none. 'accepted' when the node keeps the connection (it waits for the
    Galera handshake), or what ended it."""
    context = ssl.create_default_context(cafile=os.path.join(PKI, 'ca.crt'))
    context.check_hostname = False  # the node is reached by address; the chain is what is checked
    if certificate:
        context.load_cert_chain(*certificate)
    with socket.create_connection((address, GCOMM), timeout=10) as raw:
        try:
            with context.wrap_socket(raw) as tls:
                issuer = dict(item[0] for item in tls.getpeercert()['issuer'])['commonName']
                assert issuer == 'dct.trust_stack dcttestha CA', issuer
                tls.settimeout(3)
                # TLS 1.3: a refused client certificate comes as an alert on the first read
                return 'closed' if tls.recv(1) == b'' else 'accepted'
        except socket.timeout:
            return 'accepted'
        except (ssl.SSLError, ConnectionError) as exc:
            return 'refused: %s' % exc


def node_certificate(host):
    """(cert, key) of host's node, as the pki role made them on the controller."""
    return os.path.join(PKI, f'galera_{host}.crt'), os.path.join(PKI, f'galera_{host}.key')


@pytest.mark.parametrize('address', PEERS)
def test_replication_is_tls_and_a_peer_without_the_cas_certificate_is_refused(cluster, address):
    # the attack: join the replication stream (and so read and write every table) from the cluster's network
    # without a certificate; the same connection with a node's certificate (another node's) is accepted, so the
    # refusal is the certificate check and nothing else
    assert tls_peer(address, None).startswith(('refused', 'closed')), address
    other = HOSTS[(PEERS.index(address) + 1) % len(HOSTS)]
    assert tls_peer(address, node_certificate(other)) == 'accepted'


def served_certificate(address, port, certificate):
    """(openssl's exit code, the subject and subjectAltNames) of the certificate the node at address serves on port
    (3306 through MySQL's STARTTLS), verified against the stack CA; certificate is the client's (a peer's)."""
    # bytes: what the node sends after the handshake is printed too, and need not be text
    proc = subprocess.run(['openssl', 's_client', '-connect', f'{address}:{port}', '-CAfile', os.path.join(PKI, 'ca.crt'),
                           '-verify_return_error', '-cert', certificate[0], '-key', certificate[1]]
                          + (['-starttls', 'mysql'] if port == 3306 else []),
                          input=b'', capture_output=True, check=False, timeout=30)
    text = run(['openssl', 'x509', '-noout', '-subject', '-ext', 'subjectAltName'],
               stdin_text=proc.stdout.decode('ascii', 'replace'), check=False)
    return proc.returncode, ' '.join((text.stdout + text.stderr).split())


@pytest.mark.parametrize('host, address', list(zip(HOSTS, PEERS)))
def test_each_node_serves_a_certificate_of_its_own_to_clients_and_peers(cluster, host, address):
    peer = node_certificate(HOSTS[(HOSTS.index(host) + 1) % len(HOSTS)])
    for port in (3306, GCOMM):
        verified, subject = served_certificate(address, port, peer)
        assert verified == 0 and f'CN = {host}' in subject and 'DNS:mariadb' in subject and f'IP Address:{address}' in subject, subject
        assert not any(f'CN = {other}' in subject for other in HOSTS if other != host)


@pytest.mark.parametrize('address', PEERS)
def test_a_client_without_tls_is_refused_and_a_client_with_tls_gets_a_cipher(cluster, address):
    # the protection off would let the notary account's password and every query cross the network in clear;
    # the node refuses the connection (require_secure_transport; MariaDB says only "Access denied"), while the same
    # client with the same password over TLS is let in: the refusal is the transport and nothing else
    plain = client(HOSTS[2], address, False, 'SELECT 1')
    assert plain.returncode != 0 and 'ERROR 1045' in plain.stderr and plain.stdout == '', plain.stderr
    secure = client(HOSTS[2], address, True, "SHOW SESSION STATUS LIKE 'Ssl_cipher'")
    assert secure.returncode == 0 and secure.stdout.split('\t')[1].strip(), secure.stdout + secure.stderr


def test_a_write_on_one_node_is_read_on_every_other(cluster):
    value = mark(cluster[0])
    for host in cluster:
        wait_until(f'{value} on {host}', lambda h=host: has(h, value), timeout=30)


def test_a_node_killed_with_sigkill_comes_back_and_catches_up(cluster):
    def started(host):
        return on_host(host, ['docker', 'inspect', '-f', '{{.State.StartedAt}}', NODE]).stdout.strip()

    before, view = started(cluster[1]), int(status(cluster[0])['wsrep_cluster_conf_id'])
    pid = on_host(cluster[1], ['docker', 'inspect', '-f', '{{.State.Pid}}', NODE]).stdout.strip()
    on_host(cluster[1], ['kill', '-KILL', pid])
    value = mark(cluster[0])
    # the engine starts it again at once (restart policy unless-stopped): the cluster may see the old process
    # leave and the new one join in one view change, so what shows the kill is a new start and a new view;
    # it rejoins and receives what it missed
    wait_until(f'{cluster[1]} started again', lambda: started(cluster[1]) != before, timeout=60)
    wait_until(f'{cluster[1]} Synced again', lambda: synced(cluster[1]), timeout=180)
    assert int(status(cluster[0])['wsrep_cluster_conf_id']) > view
    assert has(cluster[1], value)


def test_a_host_whose_docker_engine_is_killed_catches_up_after_a_re_run(cluster):
    on_host(cluster[2], ['sh', '-c', 'kill -KILL $(pidof dockerd)'])
    value = mark(cluster[0])
    # the host starts its engine again (as systemd would); an engine that was killed stops the containers it
    # finds still running and does not start them again, so the node is down until the playbook runs
    wait_until(f'{cluster[2]} engine back', lambda: on_host(cluster[2], ['docker', 'version'], check=False).returncode == 0,
               timeout=60)
    wait_until(f'{cluster[2]} out of the cluster', lambda: status(cluster[0]).get('wsrep_cluster_size') == '2',
               timeout=60)
    assert not has(cluster[2], value)
    # the first node runs the others (delegated, one at a time): what it changed for host 3 counts as its own
    proc = converge()
    assert 'changed: [dcttestha_host1 -> dcttestha_host3' in proc.stdout
    assert synced(cluster[2]) and has(cluster[2], value)
    assert recap_changed(converge().stdout) == [0, 0, 0]


def test_a_node_that_lost_its_state_gets_a_full_state_transfer_through_stunnel(cluster):
    value = mark(cluster[0])
    third = cluster[2]
    on_host(third, ['docker', 'stop', NODE])
    # without grastate.dat the node knows no position: it must copy the whole state from a donor (SST)
    on_host(third, ['rm', '-f', DATA + '/grastate.dat'])
    since = on_host(third, ['date', '+%s']).stdout.strip()
    converge()
    wait_until(f'{third} Synced', lambda: synced(third), timeout=180)
    assert has(third, value)
    logs = on_host(third, ['docker', 'logs', '--since', since, NODE])
    log = logs.stdout + logs.stderr
    assert 'Using stunnel for SSL encryption' in log and "ssl-mode='VERIFY_CA'" in log, log[-3000:]
    assert recap_changed(converge().stdout) == [0, 0, 0]


def test_a_node_left_without_quorum_is_stopped_and_the_cluster_started_again_from_it(cluster):
    first, second, third = cluster
    value = mark(first)
    on_host(second, ['docker', 'kill', NODE])
    on_host(third, ['docker', 'kill', NODE])
    # one node of three is no majority: it runs, but outside any primary component, and serves nothing
    wait_until(f'{first} without quorum', lambda: status(first).get('wsrep_cluster_status') == 'non-Primary', timeout=60)
    proc = converge()
    assert 'no node is in a primary component' in proc.stdout
    for host in cluster:
        wait_until(f'{host} Synced', lambda h=host: synced(h), timeout=120)
        assert has(host, value), host
    assert recap_changed(converge().stdout) == [0, 0, 0]


def test_after_a_full_stop_the_playbook_starts_the_cluster_from_the_most_advanced_node(cluster):
    first, second, third = cluster
    before = mark(first)
    # first leaves cleanly; second and third go on without it, then both crash (docker kill: SIGKILL, and the
    # engine does not restart a container it was told to kill), so no node runs and grastate.dat says seqno -1
    # on the two most advanced
    on_host(first, ['docker', 'stop', NODE])
    wait_until('a cluster of 2', lambda: status(second).get('wsrep_cluster_size') == '2', timeout=60)
    after = mark(second)
    on_host(second, ['docker', 'kill', NODE])
    on_host(third, ['docker', 'kill', NODE])
    seqnos = {h: on_host(h, ['sed', '-n', 's/^seqno: *//p', '/var/lib/dct-trust-stack/dcttestha/galera/grastate.dat'])
              .stdout.strip() for h in cluster}
    assert seqnos[second] == seqnos[third] == '-1' and seqnos[first] != '-1', seqnos
    proc = converge()
    # the first node of the group has the lowest position: starting from it would lose the write made after it left
    assert f'{second} has the highest position' in proc.stdout
    for host in cluster:
        wait_until(f'{host} Synced', lambda h=host: synced(h), timeout=120)
        assert has(host, before) and has(host, after), host
    assert recap_changed(converge().stdout) == [0, 0, 0]
