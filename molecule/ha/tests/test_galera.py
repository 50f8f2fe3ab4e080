"""A Galera cluster across three test hosts: writes reach every node, a killed node and a host whose Docker engine
was killed come back and catch up, and after a full stop the playbook starts the cluster from the most advanced
node, so no committed write is lost."""
import uuid

from conftest import HOSTS, NODE, converge, on_host, recap_changed, sql, status, synced, wait_until


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


def test_a_write_on_one_node_is_read_on_every_other(cluster):
    value = mark(cluster[0])
    for host in cluster:
        wait_until(f'{value} on {host}', lambda h=host: has(h, value), timeout=30)


def test_a_node_killed_with_sigkill_comes_back_and_catches_up(cluster):
    pid = on_host(cluster[1], ['docker', 'inspect', '-f', '{{.State.Pid}}', NODE]).stdout.strip()
    on_host(cluster[1], ['kill', '-KILL', pid])
    wait_until(f'{cluster[1]} gone from the cluster', lambda: status(cluster[0]).get('wsrep_cluster_size') == '2',
               timeout=60)
    value = mark(cluster[0])
    # the engine restarts it (restart policy unless-stopped); it rejoins and receives what it missed
    wait_until(f'{cluster[1]} Synced again', lambda: synced(cluster[1]), timeout=180)
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
