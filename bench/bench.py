"""`make bench`: the collection against what people do without it, side by side in one run.

Each measurement runs BENCH_RUNS times (default 3), alternating the two sides, and docs/BENCHMARKS.md
gets the medians and their ratio, with the machine's core count:
  1. cold deploy of a stack (images and PKI present, no container, network or volume):
     playbooks/stack.yml against bench/plain-stack.sh (plain docker run, same images and configs);
  2. an idempotent re-run of playbooks/site.yml on the lab (seconds, and changed=0);
  3. signing 50 tags of one repository: one trust_sign task against a shell loop of docker trust sign,
     first run and re-run (local images), and first run from what the registry holds (source=registry);
     500 tags, one run each ('scale');
  7. backing up the lab's stack: backup_stack.yml against a plain mariadb-dump of both databases and a tar of the
     registry's storage ('backup');
  4. trust_client rollout to 20 client containers (clients.yml): first run and re-run;
  5. resolving 20 signed tags: one template with the trusted_digest lookup (pinned, verified by the
     notary CLI) against 20 docker trust inspect calls; 5b. reading them with one trust_info task ('info');
  6. the front's cost: 20 image pushes over the registry API (blob and config uploads, manifest) through the
     lab's front, with credentials, against the same pushes straight to the registry on the backend network;
 10. metadata reads under load ('reads'): wrk (Debian's), 16 connections, authenticated timestamp.json and
     targets.json reads through the lab's front against its unauthenticated health, and timestamp.json straight
     from notary-server; the ha scenario's same reads at the HA entry are quoted.
The report also quotes what `make test` measured: the load of the faults scenario, and the ha scenario's 4 signers
on the stack spread over three test hosts against 4 signers on a single-host stack (both in one run).
Needs the lab (`make lab`). Its own stack is dctbench on 127.0.0.1:44443/45000; its clients are
dctbench_client01..20 on the lab's front network. It removes only what it made.
"""
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
from wrkload import wrk  # noqa: E402  pylint: disable=wrong-import-position
WORK = os.path.join(ROOT, 'build', 'bench')
RUNS = int(os.environ.get('BENCH_RUNS', '3'))
STACK, NOTARY_PORT, REGISTRY_PORT = 'dctbench', 44443, 45000
LAB_STATE = os.path.join(ROOT, '.lab')
LAB_SERVER = 'https://localhost:4443'
TAGS = 50
CLIENTS = ['%s_client%02d' % (STACK, i) for i in range(1, 21)]


def log(msg):
    print('bench: %s' % msg, flush=True)


def sh(cmd, env=None, quiet=True):
    """Run cmd (a list, or a string for bash); return (seconds, stdout). Fail loudly."""
    full_env = dict(os.environ, **(env or {}))
    start = time.monotonic()
    proc = subprocess.run(cmd, shell=isinstance(cmd, str), executable='/bin/bash' if isinstance(cmd, str) else None,
                          env=full_env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit('bench: failed: %s' % (cmd if isinstance(cmd, str) else ' '.join(cmd)))
    return elapsed, proc.stdout


def playbook(*args, env=None):
    """Run ansible-playbook; return (seconds, total changed over the recap)."""
    seconds, out = sh(['ansible-playbook'] + list(args), env=env)
    changed = sum(int(n) for n in re.findall(r'changed=(\d+)', out.split('PLAY RECAP')[-1]))
    return seconds, changed


def remove_stack():
    sh('docker ps -aq --filter name=^%s_ | xargs -r docker rm -f; '
       'docker network ls -q --filter name=^%s_ | xargs -r docker network rm; '
       'docker volume ls -q --filter name=^%s_ | xargs -r docker volume rm' % (STACK, STACK, STACK))


def median(values):
    return statistics.median(values)


# ---------------------------------------------------------------- 1. cold deploy

def bench_deploy():
    inventory = os.path.join(ROOT, 'bench', 'inventory')
    log('deploy: warm-up run of stack.yml (PKI, credentials and config files for both sides)')
    remove_stack()
    playbook('-i', inventory, 'playbooks/stack.yml')
    sides = {'collection': [], 'shell': []}
    for run in range(RUNS):
        for side in (['collection', 'shell'] if run % 2 == 0 else ['shell', 'collection']):
            remove_stack()
            if side == 'collection':
                seconds, dummy = playbook('-i', inventory, 'playbooks/stack.yml')
            else:
                seconds, dummy = sh(['bash', 'bench/plain-stack.sh', STACK, os.path.join(WORK, 'state'),
                                     str(NOTARY_PORT), str(REGISTRY_PORT)])
            sides[side].append(seconds)
            log('deploy run %d %s: %.1f s' % (run + 1, side, seconds))
    remove_stack()
    return sides


# ---------------------------------------------------------------- 2. idempotent site.yml

def bench_site():
    runs, changed = [], []
    for run in range(RUNS):
        seconds, chg = playbook('-i', 'inventory/lab', 'playbooks/site.yml')
        runs.append(seconds)
        changed.append(chg)
        log('site.yml re-run %d: %.1f s, changed=%d' % (run + 1, seconds, chg))
    return runs, changed


# ---------------------------------------------------------------- 3. signing 50 tags

def trust_env(config):
    return {'DOCKER_CONFIG': config, 'DOCKER_CONTENT_TRUST_SERVER': LAB_SERVER,
            'DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE': 'bench-root-passphrase',
            'DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE': 'bench-repository-passphrase'}


def signing_client(name):
    """A fresh docker config dir WORK/<name> with the lab's notary CA and registry login, and the tiny image
    localhost:5000/bench/base:1 that the signing measurements tag."""
    config = os.path.join(WORK, name)
    shutil.rmtree(config, ignore_errors=True)
    os.makedirs(os.path.join(config, 'tls'), mode=0o700)
    shutil.copytree(os.path.expanduser('~/.docker/tls/localhost:4443'), os.path.join(config, 'tls', 'localhost:4443'))
    shutil.copy(os.path.expanduser('~/.docker/config.json'), config)  # the lab's registry login
    build('localhost:5000/bench/base:1', 'FROM scratch\nLABEL bench=sign\nCOPY Dockerfile /\n')
    return config


def build(ref, dockerfile):
    """The image ref, built from dockerfile (a build context of that Dockerfile alone)."""
    context = os.path.join(WORK, 'ctx')
    os.makedirs(context, exist_ok=True)
    with open(os.path.join(context, 'Dockerfile'), 'w') as handle:
        handle.write(dockerfile)
    sh(['docker', 'build', '-q', '-t', ref, context])


def signer_key(config):
    """The public key file of signer "bench", generated into config's (fresh) trust directory."""
    keys = os.path.join(WORK, 'keys-%s' % os.path.basename(config))
    shutil.rmtree(keys, ignore_errors=True)
    os.makedirs(keys)
    sh(['docker', 'trust', 'key', 'generate', 'bench', '--dir', keys], env=trust_env(config))
    return os.path.join(keys, 'bench.pub')


def module_sign(phase, results, repo, tags, config, **extra):
    """Run bench/sign.yml; record the whole playbook under '<phase> (playbook)' and return the sign task's seconds."""
    seconds, out = sh(['ansible-playbook', 'bench/sign.yml', '-e', json.dumps(dict({
        'bench_repository': repo, 'bench_tags': tags, 'bench_config': config, 'bench_server': LAB_SERVER}, **extra))],
        env={'ANSIBLE_CALLBACKS_ENABLED': 'ansible.posix.profile_tasks'})
    results.setdefault('%s (playbook)' % phase, []).append(seconds)
    # the task alone, without ansible-playbook's own start (the loop has none)
    return float(re.search(r'Sign the tags -+ ([0-9.]+)s', out).group(1))


def loop_sign(repo, tags, config):
    return sh('for t in %s; do docker trust sign %s:$t >/dev/null; done' % (' '.join(tags), repo), env=trust_env(config))[0]


def pushed_with_signer(repo, tags, config, key):
    """Push repo's tags with content trust off and make signer bench a signer of repo: what CI left in the registry."""
    sh(' && '.join('docker tag localhost:5000/bench/base:1 %s:%s' % (repo, t) for t in tags))
    sh('for t in %s; do docker push -q %s:$t >/dev/null; done' % (' '.join(tags), repo), env={'DOCKER_CONFIG': config, 'DOCKER_CONTENT_TRUST': '0'})
    sh(['docker', 'trust', 'signer', 'add', '--key', key, 'bench', repo], env=trust_env(config))


def bench_sign():
    """3a/3b: local images (pushed by the signing side); 3c: tags already in the registry, signed from its digests by
    the module and with a docker trust sign loop (which pushes each again, as it always does); and a docker push loop
    over the same tags, the push share of both."""
    config = signing_client('docker')
    key = signer_key(config)
    stamp = str(int(time.time()))
    tags = ['t%02d' % i for i in range(1, TAGS + 1)]
    results = {'module first': [], 'loop first': [], 'module again': [], 'loop again': [], 'push loop': [],
               'registry module first': [], 'registry loop first': []}
    for run in range(RUNS):
        repos = dict((side, 'localhost:5000/bench/%s-%s-%d' % (side, stamp, run))
                     for side in ('module', 'loop', 'push', 'regmodule', 'regloop'))
        for side in ('module', 'loop', 'push'):
            sh(' && '.join('docker tag localhost:5000/bench/base:1 %s:%s' % (repos[side], t) for t in tags))
        for side in ('regmodule', 'regloop'):
            pushed_with_signer(repos[side], tags, config, key)
        order = ['module', 'loop'] if run % 2 == 0 else ['loop', 'module']
        for phase in ('first', 'again'):
            for side in order:
                if side == 'module':
                    seconds = module_sign('module %s' % phase, results, repos[side], tags, config)
                else:
                    seconds = loop_sign(repos[side], tags, config)
                results['%s %s' % (side, phase)].append(seconds)
                log('sign run %d %s %s: %.1f s' % (run + 1, side, phase, seconds))
        seconds = sh('for t in %s; do docker push -q %s:$t >/dev/null; done' % (' '.join(tags), repos['push']),
                     env={'DOCKER_CONFIG': config, 'DOCKER_CONTENT_TRUST': '0'})[0]
        results['push loop'].append(seconds)
        log('sign run %d docker push loop: %.1f s' % (run + 1, seconds))
        for side in order:
            if side == 'module':
                seconds = module_sign('registry module first', results, repos['regmodule'], tags, config,
                                      bench_source='registry', bench_signer='bench')
            else:
                seconds = loop_sign(repos['regloop'], tags, config)
            results['registry %s first' % side].append(seconds)
            log('sign run %d registry %s: %.1f s' % (run + 1, side, seconds))
    return results


SCALE_TAGS = 500


def bench_scale():
    """500 tags in one task against the docker trust sign loop, one run each (the loop alone takes minutes)."""
    config = signing_client('docker-scale')
    stamp = str(int(time.time()))
    tags = ['s%03d' % i for i in range(1, SCALE_TAGS + 1)]
    results = {}
    for side in ('module', 'loop'):
        repo = 'localhost:5000/bench/scale-%s-%s' % (side, stamp)
        sh('for t in %s; do docker tag localhost:5000/bench/base:1 %s:$t; done' % (' '.join(tags), repo))
        for phase in ('first', 'again'):
            if side == 'module':
                seconds = module_sign('module %s' % phase, results, repo, tags, config)
            else:
                seconds = loop_sign(repo, tags, config)
            results['%s %s' % (side, phase)] = [seconds]
            log('scale %s %s: %.1f s' % (side, phase, seconds))
    return results


# ---------------------------------------------------------------- 7. backing up the lab's stack

BACKUP_DATA_MB = 64


def bench_backup():
    """backup_stack.yml of the lab (both databases, the registry's storage, PKI and credentials, encrypted, on the
    controller) against a plain mariadb-dump of both databases plus a tar of the registry's storage."""
    # the registry holds at least BACKUP_DATA_MB of images whatever else the bench ran before: a small real stack
    context = os.path.join(WORK, 'backup-data')
    if not os.path.exists(os.path.join(context, 'blob')):
        os.makedirs(context, exist_ok=True)
        sh('head -c %dM /dev/urandom > %s/blob && printf "FROM scratch\\nCOPY blob /\\n" > %s/Dockerfile'
           % (BACKUP_DATA_MB, context, context))
    sh(['docker', 'build', '-q', '-t', 'localhost:5000/bench/backup-data:1', context])
    sh(['docker', 'push', '-q', 'localhost:5000/bench/backup-data:1'], env={'DOCKER_CONTENT_TRUST': '0'})
    backups = os.path.join(WORK, 'backups')
    extra = os.path.join(WORK, 'backup-vars.json')
    with open(os.open(extra, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w') as handle:
        json.dump({'stack_backup_passphrase': 'bench-backup-passphrase', 'stack_backup_dir': backups,
                   'stack_backup_keep': 1}, handle)
    plain = ('docker exec trust_mariadb mariadb-dump --single-transaction --databases notaryserver notarysigner > %s/plain.sql'
             ' && docker exec trust_registry tar -C /var/lib/docker-registry -cf - . > %s/plain.tar' % (WORK, WORK))
    results = {'collection': [], 'collection (playbook)': [], 'plain': []}
    for run in range(RUNS):
        for side in (['collection', 'plain'] if run % 2 == 0 else ['plain', 'collection']):
            if side == 'collection':
                seconds, out = sh(['ansible-playbook', '-i', 'inventory/lab', 'playbooks/backup_stack.yml', '-e', '@' + extra],
                                  env={'ANSIBLE_CALLBACKS_ENABLED': 'ansible.posix.profile_tasks'})
                results['collection (playbook)'].append(seconds)
                # the play's own time (profile_tasks' last total), without ansible-playbook's start-up
                seconds = sum(float(x) for x in re.findall(r' -+ ([0-9.]+)s$', out, re.M))
            else:
                seconds, dummy = sh(plain)
            results[side].append(seconds)
            log('backup run %d %s: %.2f s' % (run + 1, side, seconds))
    results['bytes'] = sum(os.path.getsize(os.path.join(WORK, f)) for f in ('plain.sql', 'plain.tar'))
    for f in ('plain.sql', 'plain.tar'):
        os.remove(os.path.join(WORK, f))
    return results


# ---------------------------------------------------------------- 5. resolve 20 tags

RESOLVE_TAGS = 20


def signed_repository(name, prefix):
    """(docker config, repository, tags): RESOLVE_TAGS tags of a new repository signed with bench/sign.yml."""
    config = signing_client('docker-' + name)
    repo = 'localhost:5000/bench/%s-%d' % (name, int(time.time()))
    tags = ['%s%02d' % (prefix, i) for i in range(1, RESOLVE_TAGS + 1)]
    sh(' && '.join('docker tag localhost:5000/bench/base:1 %s:%s' % (repo, t) for t in tags))
    sh(['ansible-playbook', 'bench/sign.yml', '-e', json.dumps({
        'bench_repository': repo, 'bench_tags': tags, 'bench_config': config, 'bench_server': LAB_SERVER})])
    return config, repo, tags


def against_inspect_loop(name, playbook, task, extra, config, repo, tags, before_each=None):
    """RUNS times, the sides alternating: playbook's task (as profile_tasks times it; the whole playbook too) against
    a shell loop of docker trust inspect of each tag. {'module', 'module (playbook)', 'loop'} and before_each's."""
    results = {'module': [], 'module (playbook)': [], 'loop': []}
    for run in range(RUNS):
        for side in (['module', 'loop'] if run % 2 == 0 else ['loop', 'module']):
            if before_each:
                for key, seconds in before_each().items():
                    results.setdefault(key, []).append(seconds)
            if side == 'module':
                seconds, out = sh(['ansible-playbook', playbook, '-e', json.dumps(extra)],
                                  env={'ANSIBLE_CALLBACKS_ENABLED': 'ansible.posix.profile_tasks'})
                results['module (playbook)'].append(seconds)
                seconds = float(re.search(r'%s -+ ([0-9.]+)s' % task, out).group(1))
            else:
                seconds, dummy = sh('for t in %s; do docker trust inspect %s:$t >/dev/null; done' % (' '.join(tags), repo),
                                    env=trust_env(config))
            results[side].append(seconds)
            log('%s run %d %s: %.2f s' % (name, run + 1, side, seconds))
    return results


def bench_resolve():
    """5: one trusted_digest lookup of 20 tags, pinned, against 20 docker trust inspect calls."""
    config, repo, tags = signed_repository('resolve', 'r')
    inspect = json.loads(sh(['docker', 'trust', 'inspect', repo], env=trust_env(config))[1])[0]
    root = [k['Keys'][0]['ID'] for k in inspect['AdministrativeKeys'] if k['Name'] == 'Root']
    extra = {'bench_refs': ['%s:%s' % (repo, t) for t in tags], 'bench_server': LAB_SERVER,
             'bench_ca': os.path.join(LAB_STATE, 'pki', 'ca.crt'), 'bench_trust_dir': os.path.join(WORK, 'lookup-cache'),
             'bench_pins': {repo: root}}
    found = against_inspect_loop('resolve', 'bench/resolve.yml', 'Resolve the tags', extra, config, repo, tags)
    return {'lookup': found['module'], 'lookup (playbook)': found['module (playbook)'], 'loop': found['loop']}


def bench_info():
    """5b: trust_info on 20 signed tags of one repository (one notary list) against 20 docker trust inspect calls; and
    the CLI call each side makes per repository, one notary list against one docker trust inspect."""
    config, repo, tags = signed_repository('info', 'i')
    with open(os.path.join(config, 'config.json')) as handle:
        auth = json.load(handle)['auths']['localhost:5000']['auth']
    notary_list = ['notary', '-s', LAB_SERVER, '-d', os.path.join(config, 'trust'), '--tlscacert',
                   os.path.join(config, 'tls', 'localhost:4443', 'ca.crt'), 'list', repo]

    def one_call_each():
        return {'notary list': sh(notary_list, env={'NOTARY_AUTH': auth})[0],
                'docker trust inspect': sh(['docker', 'trust', 'inspect', repo], env=trust_env(config))[0]}
    extra = {'bench_repository': repo, 'bench_tags': tags, 'bench_config': config, 'bench_server': LAB_SERVER}
    return against_inspect_loop('info', 'bench/info.yml', 'Read the tags', extra, config, repo, tags, one_call_each)


# ---------------------------------------------------------------- 8. the signature mirror

def distinct_images(count):
    """count tiny images of their own (one digest each), localhost:5000/bench/distinct:NN, built once."""
    for i in range(1, count + 1):
        if not sh(['docker', 'images', '-q', 'localhost:5000/bench/distinct:%02d' % i])[1].strip():
            build('localhost:5000/bench/distinct:%02d' % i, 'FROM scratch\nLABEL bench=distinct-%02d\nCOPY Dockerfile /\n' % i)


def mirror_task(results, phase, repo, lookaside):
    """Run playbooks/mirror.yml on the lab for repo; record the playbook and return the mirror task's seconds."""
    seconds, out = sh(['ansible-playbook', '-i', 'inventory/lab', 'playbooks/mirror.yml', '-e', json.dumps({
        'signature_mirror_repositories': [repo], 'signature_mirror_lookaside_dir': lookaside})],
        env={'ANSIBLE_CALLBACKS_ENABLED': 'ansible.posix.profile_tasks'})
    results.setdefault('mirror %s (playbook)' % phase, []).append(seconds)
    if phase == 'again' and 'signature mirror: 1 repositories, 0 signatures added, 0 removed' not in out:
        raise SystemExit('bench: the mirror\'s re-run changed something:\n%s' % out[-3000:])
    return float(re.search(r'Mirror every verified signature -+ ([0-9.]+)s', out).group(1))


def bench_mirror():
    """8: the signature mirror of 50 signed tags (50 digests), first run and re-run, against the DCT signing of the
    same tags by one trust_sign task (first run and re-run), in the same run."""
    config = signing_client('docker-mirror')
    distinct_images(TAGS)
    lookaside = os.path.join(WORK, 'lookaside')
    os.makedirs(lookaside, exist_ok=True)
    stamp = str(int(time.time()))
    tags = ['m%02d' % i for i in range(1, TAGS + 1)]
    results = {}
    for run in range(RUNS):
        repo = 'localhost:5000/bench/mirror-%s-%d' % (stamp, run)
        sh(' && '.join('docker tag localhost:5000/bench/distinct:%02d %s:%s' % (i, repo, t) for i, t in enumerate(tags, 1)))
        for phase in ('first', 'again'):
            seconds = module_sign('sign %s' % phase, results, repo, tags, config)
            results.setdefault('sign %s' % phase, []).append(seconds)
            seconds = mirror_task(results, phase, repo, lookaside)
            results.setdefault('mirror %s' % phase, []).append(seconds)
            log('mirror run %d %s: sign %.2f s, mirror %.2f s' % (run + 1, phase, results['sign %s' % phase][-1], seconds))
    return results


# ---------------------------------------------------------------- 9. the fleet audit

AUDIT_HOSTS, AUDIT_CONTAINERS = 20, 5


def bench_audit():
    """9: playbooks/audit.yml on 20 hosts with 5 running containers each, first run (a new report directory: no
    history, no TUF cache) and re-run. The hosts are inventory names on this machine (local connection), each
    reading its own 5 containers of the machine's dockerd (a name filter); the containers run 5 signed tags."""
    config = signing_client('docker-audit')
    repo = 'localhost:5000/bench/audit-%d' % int(time.time())
    tags = ['c%d' % i for i in range(1, AUDIT_CONTAINERS + 1)]
    for tag in tags:  # images that can run (the lab's notary image has sleep), one digest each
        build('%s:%s' % (repo, tag), 'FROM dct/notary:0.7.0\nLABEL bench=audit-%s\n' % tag)
    sh(['ansible-playbook', 'bench/sign.yml', '-e', json.dumps({
        'bench_repository': repo, 'bench_tags': tags, 'bench_config': config, 'bench_server': LAB_SERVER})])
    prefix = '%s_audit_' % STACK
    hosts = ['audit-h%02d' % h for h in range(1, AUDIT_HOSTS + 1)]
    sh('docker ps -aq --filter name=^%s | xargs -r docker rm -f >/dev/null' % prefix)
    for host in hosts:
        for tag in tags:
            sh(['docker', 'run', '-d', '--name', '%s%s_%s' % (prefix, host, tag), '--network', 'none',
                '--entrypoint', '/bin/sleep', '%s:%s' % (repo, tag), 'infinity'])
    inventory = os.path.join(WORK, 'audit.yml')
    with open(inventory, 'w') as handle:
        json.dump({'all': {'vars': {'trust_stack_controller_dir': LAB_STATE, 'notary_server_port': 4443}},
                   'audit_bench': {'hosts': dict((h, {'audit_filters': ['name=^%s%s_' % (prefix, h)]}) for h in hosts),
                                   'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}}},
                  handle)
    report = os.path.join(WORK, 'audit-report')
    extra = json.dumps({'audit_hosts': 'audit_bench', 'audit_registries': ['localhost:5000'], 'audit_report_dir': report})
    results = {'first': [], 'again': []}
    try:
        for run in range(RUNS):
            shutil.rmtree(report, ignore_errors=True)
            for phase in ('first', 'again'):
                seconds, changed = playbook('-i', inventory, 'playbooks/audit.yml', '-e', extra, env={'ANSIBLE_FORKS': '10'})
                with open(os.path.join(report, 'audit.json')) as handle:
                    counts = json.load(handle)['counts']
                if counts['signed'] != AUDIT_HOSTS * AUDIT_CONTAINERS or (phase == 'again' and changed):
                    raise SystemExit('bench: the audit found %s (changed=%d)' % (counts, changed))
                results[phase].append(seconds)
                log('audit run %d %s: %.1f s' % (run + 1, phase, seconds))
    finally:
        sh('docker ps -aq --filter name=^%s | xargs -r docker rm -f >/dev/null' % prefix)
    return results


# ---------------------------------------------------------------- 6. the front's cost per push

FRONT_PUSHES = 20


def registry_push(session, base, name, tag):
    """One image push over the distribution API: a layer and a config blob (HEAD, POST, PUT each), then the
    manifest; 7 requests, as a docker push of a one-layer image makes them. Returns the number of requests."""
    import hashlib
    blobs = []
    for data in (os.urandom(1024), json.dumps({'architecture': 'amd64', 'os': 'linux', 'tag': tag}).encode()):
        digest = 'sha256:' + hashlib.sha256(data).hexdigest()
        session.head('%s/v2/%s/blobs/%s' % (base, name, digest))
        upload = session.post('%s/v2/%s/blobs/uploads/' % (base, name))
        assert upload.status_code == 202, upload.text
        location = upload.headers['Location']
        location = location if location.startswith('http') else base + location
        done = session.put(location, params={'digest': digest}, data=data,
                           headers={'Content-Type': 'application/octet-stream'})
        assert done.status_code == 201, done.text
        blobs.append({'digest': digest, 'size': len(data)})
    manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',
                'config': dict(blobs[1], mediaType='application/vnd.docker.container.image.v1+json'),
                'layers': [dict(blobs[0], mediaType='application/vnd.docker.image.rootfs.diff.tar.gzip')]}
    put = session.put('%s/v2/%s/manifests/%s' % (base, name, tag), data=json.dumps(manifest),
                      headers={'Content-Type': manifest['mediaType']})
    assert put.status_code == 201, put.text
    return 7


def lab_credential(name):
    """A generated secret of the lab (.lab/credentials/<name>)."""
    with open(os.path.join(LAB_STATE, 'credentials', name)) as handle:
        return handle.read().strip()


def backend_address(container):
    """The address of one of the lab's services on its internal backend network (reached from this host)."""
    return json.loads(sh(['docker', 'inspect', container])[1])[0]['NetworkSettings']['Networks']['trust_backend']['IPAddress']


def bench_front():
    import requests
    import urllib3
    urllib3.disable_warnings()
    backend = backend_address('trust_registry')
    sides = {
        # the front, as a client sees it: TLS verified, Basic credentials on every request
        'front': ('https://localhost:5000', dict(verify=os.path.join(LAB_STATE, 'pki', 'ca.crt'),
                                                 auth=('admin', lab_credential('registry_admin')))),
        # the registry itself on the internal backend network (its certificate names registry, not this address)
        'straight': ('https://%s:5000' % backend, dict(verify=False, auth=None)),
    }
    results = {'front': [], 'straight': []}
    for run in range(RUNS):
        for side in (['front', 'straight'] if run % 2 == 0 else ['straight', 'front']):
            base, options = sides[side]
            with requests.Session() as session:
                # trust_env off: REQUESTS_CA_BUNDLE in the environment would override the session's CA
                session.trust_env = False
                session.verify, session.auth = options['verify'], options['auth']
                started = time.monotonic()
                for i in range(FRONT_PUSHES):
                    registry_push(session, base, 'bench/front-%s' % side, 'p%d-%02d' % (run, i))
                seconds = time.monotonic() - started
            results[side].append(seconds)
            log('front run %d %s: %.2f s for %d pushes' % (run + 1, side, seconds, FRONT_PUSHES))
    return results


# ---------------------------------------------------------------- 10. metadata reads under load

READ_CONNECTIONS, READ_SECONDS = 16, 10


def bench_reads():
    """What a crowd of deploying hosts reading trust data costs at the lab's front: 16 connections for 10 s each,
    the front's unauthenticated health (through to notary-server) against authenticated reads of a repository's
    timestamp.json and targets.json by a user who may pull and not push (the bearer token notary clients get
    from the front); timestamp.json as the administrator, who may push, so reads past the cache (every read
    before the cache); and timestamp.json straight from notary-server on the backend network (its own cost: no
    front, no TLS handshake per request)."""
    dummy, repo, dummy = signed_repository('reads', 'r')
    # the front's bearer token is the Basic credentials: the lab's deployer reads every repository and pushes none
    # (inventory/lab), as the hosts of a fleet; the administrator may push everywhere, so its reads go past the
    # cache, as every read went before the cache
    token, signer = (base64.b64encode(('%s:%s' % (user, lab_credential(name))).encode()).decode()
                     for user, name in (('deployer', 'user_deployer'), ('admin', 'registry_admin')))
    backend = backend_address('trust_notary_server')
    base = '/v2/%s/_trust/tuf/' % repo
    sides = [('health', 'https://localhost:4443/_notary_server/health', None),
             ('timestamp', 'https://localhost:4443%stimestamp.json' % base, token),
             ('targets', 'https://localhost:4443%stargets.json' % base, token),
             ('timestamp past the cache', 'https://localhost:4443%stimestamp.json' % base, signer),
             ('timestamp straight', 'https://%s:4443%stimestamp.json' % (backend, base), None)]
    results = dict((name, []) for name, dummy, dummy in sides)
    for run in range(RUNS):
        for name, url, auth in (sides if run % 2 == 0 else list(reversed(sides))):
            results[name].append(wrk(url, auth, READ_CONNECTIONS, READ_SECONDS))
            log('reads run %d %s: %s' % (run + 1, name, results[name][-1]))
    return results


# ---------------------------------------------------------------- 4. trust_client to 20 clients

def bench_clients():
    ephemeral = os.path.join(WORK, 'fleet')
    os.makedirs(ephemeral, exist_ok=True)
    # bare clients (python3 only): the first rollout installs the notary CLI from Debian, as on a new fleet
    extra = {'trust_stack_name': 'trust', 'fleet_image': 'dct/bench-client', 'fleet_clients': CLIENTS,
             'fleet_dockerfile': os.path.join(ROOT, 'bench', 'client.Dockerfile'),
             'ansible_python_interpreter': sys.executable}
    inventory = os.path.join(WORK, 'clients.yml')
    with open(inventory, 'w') as handle:
        json.dump({'trust_clients': {
            'hosts': dict((c, {}) for c in CLIENTS),
            'vars': {'ansible_connection': 'community.docker.docker', 'ansible_python_interpreter': '/usr/bin/python3',
                     'trust_client_notary_host': 'notary-server', 'trust_client_notary_port': 4443,
                     'trust_client_registry_host': 'registry', 'trust_client_registry_port': 5000,
                     'trust_client_users': ['root', 'builder'],
                     'trust_client_ca_cert': os.path.join(LAB_STATE, 'pki', 'ca.crt')}}}, handle)
    results = {'first': [], 'again': []}
    for run in range(RUNS):
        sh('docker rm -f %s >/dev/null 2>&1 || true' % ' '.join(CLIENTS))
        playbook('molecule/fleet/create.yml', '-i', 'localhost,', '-c', 'local', '-e', json.dumps(extra),
                 env={'MOLECULE_EPHEMERAL_DIRECTORY': ephemeral})
        for phase in ('first', 'again'):
            seconds, dummy = playbook('-i', inventory, 'playbooks/clients.yml', env={'ANSIBLE_FORKS': '10'})
            results[phase].append(seconds)
            log('clients run %d %s: %.1f s' % (run + 1, phase, seconds))
    sh('docker rm -f %s >/dev/null' % ' '.join(CLIENTS))
    return results


# ---------------------------------------------------------------- the report

def reads_rows(reads):
    """Rows 10: authenticated metadata reads against the health rate, at the lab's front and (as the ha scenario
    measured it) at the HA entry."""
    rows = []
    path = os.path.join(ROOT, 'build', 'test-results', 'ha-reads.json')
    sides = [('the lab\'s front', reads)] + [('the HA entry (ha scenario)', json.load(open(path)) if os.path.exists(path) else None)]
    for where, measured in sides:
        if not measured:
            continue
        m = dict((name, dict((k, median([run[k] for run in runs])) for k in ('rps', 'p99_ms', 'p50_ms')))
                 for name, runs in measured.items())
        errors = sum(run['errors'] for runs in measured.values() for run in runs)
        health = m['health']['rps']
        for name in ('timestamp', 'targets'):
            if name not in m:
                continue
            ratio = m[name]['rps'] / health
            met = ratio >= 0.8 and m[name]['p99_ms'] < 40 and errors == 0
            rows.append(('10. %s.json reads at %s, %d connections' % (name, where, READ_CONNECTIONS),
                         'authenticated (bearer token), p99 %.1f ms' % m[name]['p99_ms'], '%.0f/s' % m[name]['rps'],
                         'the front\'s health (no credentials, through to notary-server), p99 %.1f ms' % m['health']['p99_ms'],
                         '%.0f/s' % health, '%.2f' % ratio,
                         '>= 0.8, p99 < 40 ms, 0 errors (%d): %s' % (errors, 'met' if met else 'NOT met')))
        if 'timestamp past the cache' in m:
            past = m['timestamp past the cache']
            rows.append(('10. timestamp.json reads at %s past the cache (before it; a signer\'s reads)' % where,
                         'authenticated as a user who may push, p99 %.1f ms' % past['p99_ms'], '%.0f/s' % past['rps'],
                         'the front\'s health (row above)', '%.0f/s' % health, '%.2f' % (past['rps'] / health), '-'))
        if 'timestamp straight' in m:
            rows.append(('10. timestamp.json straight from notary-server (no front), %d connections' % READ_CONNECTIONS,
                         'notary-server on the backend network, p99 %.1f ms' % m['timestamp straight']['p99_ms'],
                         '%.0f/s' % m['timestamp straight']['rps'], 'the front\'s health (row above)', '%.0f/s' % health,
                         '%.2f' % (m['timestamp straight']['rps'] / health), '- (where the time goes)'))
    return rows


def write_report(deploy, site, sign, clients, measured, resolve=None, front=None, scale=None, backup=None, info=None,
                 mirror=None, audit=None, reads=None):
    cores = os.cpu_count()
    d_col, d_sh = median(deploy['collection']), median(deploy['shell'])
    s_med = median(site[0])
    sign_m = dict((k, median(v)) for k, v in sign.items())
    c_first, c_again = median(clients['first']), median(clients['again'])
    rows = [
        ('1. cold deploy of the stack (images present)', 'playbooks/stack.yml', '%.1f s' % d_col,
         'bench/plain-stack.sh (docker run)', '%.1f s' % d_sh, '%.2f' % (d_col / d_sh),
         '<= 1.3: %s' % ('met' if d_col <= 1.3 * d_sh else 'NOT met')),
        ('2. idempotent re-run of site.yml (lab)', 'playbooks/site.yml, changed=%s' % '/'.join(map(str, site[1])),
         '%.1f s' % s_med, 'bench/plain-stack.sh cold deploy (row 1)', '%.1f s' % d_sh, '%.2f' % (s_med / d_sh),
         '<= 1.0: %s' % ('met' if s_med <= d_sh else 'NOT met')),
        ('3a. sign %d tags, first run (local images, pushed)' % TAGS,
         'one trust_sign task (whole playbook: %.1f s)' % sign_m['module first (playbook)'],
         '%.1f s' % sign_m['module first'],
         'shell loop of docker trust sign', '%.1f s' % sign_m['loop first'],
         '%.2f' % (sign_m['module first'] / sign_m['loop first']),
         '<= 0.8: %s' % ('met' if sign_m['module first'] <= 0.8 * sign_m['loop first'] else 'NOT met')),
        ('3b. sign %d tags, re-run' % TAGS, 'one trust_sign task (whole playbook: %.1f s)' % sign_m['module again (playbook)'],
         '%.2f s' % sign_m['module again'], 'shell loop (docker trust sign per tag)', '%.2f s' % sign_m['loop again'],
         '%.3f' % (sign_m['module again'] / sign_m['loop again']),
         '<= 0.15: %s' % ('met' if sign_m['module again'] <= 0.15 * sign_m['loop again'] else 'NOT met')),
    ]
    if 'registry module first' in sign_m:
        rows.append(('3c. sign %d tags already in the registry, first run' % TAGS,
                     'one trust_sign task, source=registry (whole playbook: %.1f s)' % sign_m['registry module first (playbook)'],
                     '%.2f s' % sign_m['registry module first'], 'shell loop of docker trust sign',
                     '%.1f s' % sign_m['registry loop first'],
                     '%.2f' % (sign_m['registry module first'] / sign_m['registry loop first']),
                     '<= 0.2: %s' % ('met' if sign_m['registry module first'] <= 0.2 * sign_m['registry loop first']
                                     else 'NOT met')))
    if scale:
        sc = dict((k, median(v)) for k, v in scale.items())
        for phase in ('first', 'again'):
            rows.append(('3d. sign %d tags, %s' % (SCALE_TAGS, 'first run' if phase == 'first' else 're-run'),
                         'one trust_sign task (whole playbook: %.1f s)' % sc['module %s (playbook)' % phase],
                         '%.1f s' % sc['module %s' % phase], 'shell loop of docker trust sign',
                         '%.1f s' % sc['loop %s' % phase], '%.3f' % (sc['module %s' % phase] / sc['loop %s' % phase]),
                         '- (one run each)'))
    rows += [
        ('4. trust_client to %d containers' % len(CLIENTS), 'first run', '%.1f s (%.2f s/host)' % (c_first, c_first / len(CLIENTS)),
         're-run', '%.1f s (%.2f s/host)' % (c_again, c_again / len(CLIENTS)), '%.2f' % (c_again / c_first),
         're-run <= 0.5 x first: %s' % ('met' if c_again <= 0.5 * c_first else 'NOT met')),
    ]
    if resolve:
        r_lookup, r_loop = median(resolve['lookup']), median(resolve['loop'])
        rows.append(('5. resolve %d signed tags' % RESOLVE_TAGS,
                     'one trusted_digest lookup, pinned (whole playbook: %.1f s)' % median(resolve['lookup (playbook)']),
                     '%.2f s' % r_lookup, '%d docker trust inspect' % RESOLVE_TAGS, '%.2f s' % r_loop,
                     '%.2f' % (r_lookup / r_loop), '-'))
    if info:
        i_module, i_loop = median(info['module']), median(info['loop'])
        i_list, i_inspect = median(info['notary list']), median(info['docker trust inspect'])
        rows.append(('5b. read %d signed tags of one repository' % RESOLVE_TAGS,
                     'one trust_info task (whole playbook: %.1f s; its notary list: %.3f s)'
                     % (median(info['module (playbook)']), i_list),
                     '%.2f s' % i_module, '%d docker trust inspect (one: %.3f s)' % (RESOLVE_TAGS, i_inspect),
                     '%.2f s' % i_loop, '%.2f' % (i_module / i_loop),
                     'notary list <= one docker trust inspect: %s' % ('met' if i_list <= i_inspect else 'NOT met')))
    if front:
        f_front, f_straight = median(front['front']), median(front['straight'])
        rows.append(('6. %d pushes over the registry API (7 requests each)' % FRONT_PUSHES,
                     'through the front (TLS, password check, rules)', '%.2f s' % f_front,
                     'straight to the registry (backend network)', '%.2f s' % f_straight,
                     '%.2f' % (f_front / f_straight), '-'))
    if backup:
        b_col, b_plain = median(backup['collection']), median(backup['plain'])
        rows.append(('7. back up the lab stack (%.0f MB of data)' % (backup['bytes'] / 1e6),
                     'playbooks/backup_stack.yml (encrypted set; whole playbook: %.1f s)' % median(backup['collection (playbook)']),
                     '%.2f s' % b_col, 'mariadb-dump of both databases + tar of the registry', '%.2f s' % b_plain,
                     '%.2f' % (b_col / b_plain), '< 1.5: %s' % ('met' if b_col < 1.5 * b_plain else 'NOT met')))
    if mirror:
        mi = dict((k, median(v)) for k, v in mirror.items())
        for phase in ('first', 'again'):
            name = '8a. mirror %d signed tags (%d digests), first run' if phase == 'first' else '8b. mirror %d signed tags (%d digests), re-run, changed=0'
            rows.append((name % (TAGS, TAGS),
                         'the signature mirror (playbooks/mirror.yml; whole playbook: %.1f s)' % mi['mirror %s (playbook)' % phase],
                         '%.2f s' % mi['mirror %s' % phase], 'one trust_sign task of the same tags, %s' % (
                             'first run' if phase == 'first' else 're-run'),
                         '%.2f s' % mi['sign %s' % phase], '%.2f' % (mi['mirror %s' % phase] / mi['sign %s' % phase]),
                         '- (the second signature\'s cost)'))
    if audit:
        a_first, a_again = median(audit['first']), median(audit['again'])
        hosts = AUDIT_HOSTS
        rows.append(('9. audit %d hosts with %d running containers each' % (hosts, AUDIT_CONTAINERS),
                     'playbooks/audit.yml, first run', '%.1f s (%.2f s/host)' % (a_first, a_first / hosts),
                     're-run (changed=0)', '%.1f s (%.2f s/host)' % (a_again, a_again / hosts),
                     '%.2f' % (a_again / a_first), '-'))
    rows += reads_rows(reads)
    raw = {'deploy': deploy, 'site': site[0], 'sign': sign, 'clients': clients, 'resolve': resolve, 'front': front,
           'scale': scale, 'backup': backup, 'info': info, 'mirror': mirror, 'audit': audit, 'reads': reads}
    lines = [
        '# Benchmarks',
        '',
        'Written by `make bench` (bench/bench.py): %d cores, %d runs per measurement, the two sides' % (cores, RUNS),
        'alternating, medians shown. Ratios are collection / other side; this machine is noisy, so compare',
        'ratios from one run, not seconds across runs. Measured: %s.' % (', '.join(
            '%s %s' % (part, measured.get(part, 'at an unknown time'))
            for part in ('deploy', 'site', 'sign', 'scale', 'clients', 'resolve', 'info', 'front', 'backup', 'mirror',
                         'audit', 'reads'))),
        '',
        '| measurement | collection | median | other side | median | ratio | target |',
        '| --- | --- | --- | --- | --- | --- | --- |',
    ] + ['| %s |' % ' | '.join(row) for row in rows] + [
        '',
        'Notes:',
        '',
        '- 3: the module side is the trust_sign task as the profile_tasks callback times it (the loop has no',
        '  ansible-playbook start-up); the whole playbook is shown beside it. Since 0.8.0 trust_sign signs in a',
        '  batch: it pushes the tags to sign (4 `docker push` at once, content trust off), stages each with',
        '  `notary addhash` and publishes once, where the loop pushes and publishes once per tag. Push share:',
        '  a plain loop of `docker push` of the same %d tags took %s, %s of the docker trust sign loop.' % (
            TAGS, '%.1f s' % sign_m['push loop'] if 'push loop' in sign_m else '(not measured)',
            '%.0f%%' % (100 * sign_m['push loop'] / sign_m['loop first']) if 'push loop' in sign_m else '-'),
        '  3c: the tags are in the registry already (pushed with content trust off, signer "bench" added to both',
        '  repositories, both untimed); the module reads each tag\'s manifest digest and size from the registry',
        '  (HEAD, 4 at once) and pushes nothing; `docker trust sign` pushes each tag again, as it always does for a',
        '  tag it has not signed. 3d: one run each (the loop alone takes minutes), so the growth with the tag',
        '  count shows against 3a/3b. The module\'s re-run is one `docker trust inspect` and one request to the',
        '  Docker engine\'s socket for the local images; the rest (about 0.45 s) is Ansible\'s own cost of any task.',
        '- 8: the mirror side is its trust_mirror task (profile_tasks): one `notary list` of the repository with',
        '  the mirror\'s own TUF cache, then per digest to sign a GET of its manifest (checked against the digest)',
        '  and one `skopeo standalone-sign` (GPG, RSA 3072); its re-run is the `notary list` and a look at the',
        '  lookaside. The other side is the DCT signing of the same %d tags (%d distinct images) that the mirror' % (TAGS, TAGS),
        '  then mirrors, in the same run: what the second signature costs against the first. Signatures are made 4',
        '  at once; the stack host\'s copy of the mirror key is protected with the fewest S2K rounds gpg-agent',
        '  allows (65536): with its default (calibrated to about 100 ms) every signature derived the key again,',
        '  one at a time in the agent, and 8a was 17.4 s against 4.2 s (4.1) in a run on 2026-12-07.',
        '- 9: the hosts are %d inventory names on this machine (local connection, 10 forks), each reading its own %d'
        % (AUDIT_HOSTS, AUDIT_CONTAINERS),
        '  containers of the machine\'s dockerd (audit_filters): per host one containers_info run; on the',
        '  controller one trust_audit run, one `notary list` of the repository for all %d containers, and the'
        % (AUDIT_HOSTS * AUDIT_CONTAINERS),
        '  report. Over SSH each host adds its connection. The first run has no history and no TUF cache.',
        '- 1: the collection\'s side includes what plain docker run does not: preflight checks, the pki_plan',
        '  look at the certificates, MariaDB accounts and schema migrations, and waits that poll until each',
        '  service answers (notary-server: until it gets a timestamp key from the signer, end to end).',
        '  Until 0.3.0 the notary_server role slept 11 s after a (re)start instead; with that sleep this row',
        '  was 29.8 s against 13.3 s (2.24) in a run on 2026-12-01. Since 0.6.0 a cold deploy makes its four',
        '  networks with three stack_networks runs (one per service that needs a new one) instead of a',
        '  docker_host_info and four docker_network runs, applies the three schema migrations in one client',
        '  run and skips reading the applied ones from databases it has just created, and the notary_server',
        '  role asks a (re)started server for a timestamp key without a separate health wait first; the',
        '  MariaDB accounts converge waits for the server inside the container (mariadb-admin ping every',
        '  0.2 s) instead of one module run per attempt: with the front in place, 23-29 s became 17-21 s',
        '  against 14-15 s in manual runs (2026-12-03). Since 0.9.0 each service is one stack_container run (its',
        '  files, its missing networks and its container, created with the docker CLI) where it was a file_set, a',
        '  stack_networks, a community.docker.docker_container run and the stack_containers_info read; that',
        '  module alone took about 1.7 s per container, stack_container about 1 s with the files; the checks',
        '  that the front, notary-server and the registry answer run in the same module run (its ready option).',
        '  MariaDB\'s accounts converge and the read of the applied migrations are one docker exec: 1.70 became',
        '  1.03 (row 2: 1.34 became 0.84).',
        '- 4: bare clients (bench/client.Dockerfile, python3 only): the first run installs the notary CLI',
        '  from Debian on each; the re-run finds everything in place (one command reads the packages, the',
        '  users and their docker configs; one file_set per host).',
        '- 5: the lookup side is the set_fact task that runs one query over all %d tags (profile_tasks): one' % RESOLVE_TAGS,
        '  `notary list` of the repository under a generated config with the pin, a read of the verified',
        '  root.json, and the lookup plugin\'s own start; the other side asks the docker CLI per tag, which pins',
        '  nothing. Both sides have a warm trust cache after their first run.',
        '- 7: the collection side is the sum of the play\'s task times (profile_tasks): the stack_backup action (since',
        '  0.9.0; no module run) checks its inputs and runs one command on the stack host (the dump, then a tar of',
        '  the registry\'s storage, each piped through openssl enc AES-256-CTR and openssl dgst), brings both parts',
        '  over (on the lab, a local connection, it moves them), archives and encrypts the PKI and credentials and',
        '  writes the manifest on the controller; the plain side writes the same dump and a tar streamed out of the',
        '  registry container with docker exec, unencrypted, into local files. The registry holds at least %d MB (an' % BACKUP_DATA_MB,
        '  image of random data the bench pushes). The action now reads the registry\'s storage from its',
        '  volume\'s directory on the host (streaming 64 MB out of a container through the engine\'s API took about',
        '  0.25 s of the 0.4 s the stack host\'s command took), moves the parts instead of copying and hashing them',
        '  again when the stack host is the controller, and the role no longer runs a separate input check task:',
        '  2.44 became about 1.2-1.3. What is left over the plain side: the role\'s argument check and its closing',
        '  message (about 0.13 s), writing each part once more through openssl, and the connection\'s temporary',
        '  directory. Until 0.8.0 the role ran five modules and CBC (8.1 s against 1.3 s in that session\'s run).',
        '- 6: each request through the front is one TLS hop to nginx, one sha512-crypt check of the password',
        '  (front_password_rounds, 1000: about 2 ms of CPU) and the rules (an nginx map), then TLS to the registry;',
        '  the other side sends the same requests to the registry on the backend network, with no front and no',
        '  credentials. Pushes of real images add their layers\' transfer to both sides alike.',
        '- 10: wrk (Debian\'s), 2 threads, 16 connections, 10 s per measurement. The reader is a user who may pull',
        '  and not push (the lab\'s deployer), whose reads the front serves from its metadata cache',
        '  (front_metadata_cache: current metadata for notary_server_current_metadata_max_age, 1 s; checksum-addressed',
        '  metadata for 30 days; the rules asked first on every request). A user who may push reads past the cache,',
        '  as every read went before it: the "past the cache" row is the before. The health request goes through',
        '  the front to notary-server like every request: a new TLS connection to notary-server each time (nginx',
        '  keeps no connections to an upstream it looks up per request), which is most of its cost; notary-server',
        '  alone serves health at about 50,000/s. The HA entry rows are what the ha scenario measured (3 test',
        '  hosts on these 2 cores, through HAProxy on host3 to the fronts on host1 and host2); in a make test run',
        '  the other scenarios run beside it, so its p99 is the noisiest number here.',
        '- 2: in ansible-core 2.19 a task that runs a module costs about 0.3-0.5 s on this machine even when',
        '  it changes nothing, and one that does not (set_fact, assert, a skipped task) about 0.03 s. Since',
        '  0.4.0 a re-run makes about 30 module runs instead of about 50: the pki role reads its files with',
        '  the pki_plan lookup instead of 16 community.crypto module runs, the stack\'s networks are listed',
        '  once (one stack_networks run), each service\'s image is not inspected again, and MariaDB\'s',
        '  readiness, accounts and migrations take two module runs instead of five. Since 0.9.0 a re-run makes 10',
        '  module runs (it made 20): one stack_container per service (its files, its container and, for the',
        '  front, notary-server and the registry, the check that the service answers through the front) instead',
        '  of a file_set per service, one stack_containers_info read and two uri checks; one MariaDB client run',
        '  (accounts and the applied migrations); one command in trust_client for the packages, the users and',
        '  their docker configs (it was a dpkg-query, a getent and a slurp per user), and the registry',
        '  credentials kept in trust_client\'s one file_set run when they are in place. What is left: 5',
        '  stack_container, images, MariaDB, and 3 in trust_client (the read, file_set, /etc/hosts); the about 65',
        '  tasks that run no module cost about 4 s together (0.03-0.2 s each on this machine). A module run costs',
        '  0.5-0.9 s here, most of it Python compiling ansible.module_utils.basic from the module\'s zip.',
        '',
    ] + load_section() + ha_section() + [
        'Raw seconds per run:',
        '',
        '```json',
        json.dumps(raw, indent=1, sort_keys=True, default=lambda v: round(v, 2)),
        '```',
        '',
    ]
    path = os.path.join(ROOT, 'docs', 'BENCHMARKS.md')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as handle:
        handle.write('\n'.join(lines))
    log('wrote %s' % path)
    print('\n'.join(lines[6:6 + 2 + len(rows)]))


def load_section():
    """The load figures `make test` measured (molecule/faults: its load fixture writes them to
    build/test-results/faults.json); not measured here, because the bench stack is the lab's size."""
    path = os.path.join(ROOT, 'build', 'test-results', 'faults.json')
    load = json.load(open(path)).get('load') if os.path.exists(path) else None
    if not load:
        return ['Load (200 tags): not measured yet; `make test` (molecule scenario faults) writes it.', '']
    when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(path)))
    return [
        '## Load: %(tags)d tags in %(repositories)d repositories, %(signers)d signers at once' % load,
        '',
        'Measured by `make test` (molecule scenario `faults`, its load fixture) on %s, %d cores: each signer is an'
        % (when, load['cores']),
        'inventory host with its own docker config, running trust_key, trust_signer and trust_sign on its',
        'repositories (forks 4); every tag is a distinct tiny image. Afterwards every signature is read back with an',
        'empty trust cache and its digest compared with the registry\'s.',
        '',
        '| step | seconds | throughput |',
        '| --- | --- | --- |',
        '| build the %d images | %.1f | - |' % (load['tags'], load['build_seconds']),
        '| sign (push + sign) all tags, first run | %.1f | %.2f tags/s |' % (load['sign_seconds'], load['tags_per_second']),
        '| re-run (changed=0) | %.1f | %.1f tags/s checked |' % (load['rerun_seconds'], load['tags'] / load['rerun_seconds']),
        '',
    ]


def ha_section():
    """The cluster's throughput against one host's, as `make test` measured it (molecule/ha writes
    build/test-results/ha.json): both sides in one run, on the same test hosts."""
    path = os.path.join(ROOT, 'build', 'test-results', 'ha.json')
    ha = json.load(open(path)) if os.path.exists(path) else None
    if not ha:
        return ['Several hosts (4 signers, cluster against one host): not measured yet; `make test` (molecule scenario ha)',
                'writes it.', '']
    when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(path)))
    cluster, one = ha['tags_per_second']['cluster'], ha['tags_per_second']['one host']
    return [
        '## Several hosts: %(signers)d signers at once on the cluster against one host' % ha,
        '',
        'Measured by `make test` (molecule scenario `ha`, test_four_signers_on_the_cluster_against_four_on_one_host)'
        ' on %s, %d cores.' % (when, ha['cores']),
        'The cluster is playbooks/ha.yml on three test hosts (3 Galera nodes, 2 signers, 2 servers, 2 registries,',
        'balancers; signing goes through the entry on host3); the single host is the same roles on host3 under',
        'another name. Each of %(signers)d signers signs %(tags_per_signer)d new tags of its own repository in one'
        ' sign.yml run' % ha,
        '(trust_key, trust_signer, trust_sign) from host3, the four at once; %(rounds)d rounds, the sides alternating.'
        % ha,
        'All test hosts share this machine\'s cores, so this shows what the cluster costs (balancer hops, Galera',
        'replication, more containers), not what more machines would add.',
        '',
        '| what | cluster | one host | ratio | target |',
        '| --- | --- | --- | --- | --- |',
        '| %d signers, tags signed per second | %.2f | %.2f | %.2f | >= 0.8 |' % (ha['signers'], cluster, one, ha['ratio']),
        '',
    ]


def main():
    os.makedirs(WORK, exist_ok=True)
    only = sys.argv[1:] or ['deploy', 'site', 'sign', 'scale', 'clients', 'resolve', 'info', 'front', 'backup', 'mirror', 'audit',
                            'reads']
    if only == ['report']:  # rewrite docs/BENCHMARKS.md from the last measurements
        only = []
    cache = os.path.join(WORK, 'results.json')
    results = json.load(open(cache)) if os.path.exists(cache) else {}
    for name in only:
        results[name] = globals()['bench_' + name]()
        results.setdefault('measured', {})[name] = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
        with open(cache, 'w') as handle:
            json.dump(results, handle)
    if all(k in results for k in ('deploy', 'site', 'sign', 'clients')):
        write_report(results['deploy'], results['site'], results['sign'], results['clients'], results.get('measured', {}),
                     results.get('resolve'), results.get('front'), results.get('scale'), results.get('backup'),
                     results.get('info'), results.get('mirror'), results.get('audit'), results.get('reads'))


if __name__ == '__main__':
    main()
