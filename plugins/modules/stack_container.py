#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stack_container
short_description: Run one container of a trust stack with its files, exactly as its spec says, in one module run
version_added: 0.9.0
description:
  - Brings the service's I(directories) and I(files) on the docker host to the wanted owner, group, mode and
    content first, as M(dct.trust_stack.file_set) does (atomic writes; content never logged).
  - Makes the container C(<stack>_<service>) run with the options given here, and labels it with the stack, the
    service and C(org.dct.trust_stack.spec), the SHA-256 of those options as JSON with sorted keys.
  - A container that is missing is created and started; one that is not as wanted (its spec label differs, it was
    made from another image or its image name was rebuilt since, its restart policy, networks or aliases were
    changed by hand) is stopped, removed and made again; one that is as wanted but stopped is started; one that is
    as wanted and running is restarted when the content of one of its files changed, or with I(restart=true).
    Otherwise nothing is done.
  - Options are compared through the spec label only, so a container is recreated whenever any option changes.
  - Before a container is created or started, the stack's own other containers (by its label) that publish one of its
    host ports are removed (I(freed)); their roles make them again. So the front takes over the ports an older
    version's registry and notary-server published.
  - The environment goes to C(docker create) in an C(--env-file) of mode 0600 that is removed right after, never on
    a command line.
  - What the roles of this collection run for each service, instead of a M(dct.trust_stack.file_set) run and a
    C(community.docker.docker_container) run (which alone took about as long as this whole module on a 2-core
    host) - one module run per service, on a re-run as on the first.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.attributes
  - dct.trust_stack.stack
  - dct.trust_stack.file_set
options:
  service:
    description: The service; the container is C(<stack>_<service>), labelled C(org.dct.trust_stack.service=<service>).
    type: str
    required: true
  image:
    description:
      - The image (name:tag) to run; it must exist on the engine (nothing is pulled) and run as a user other than
        root (its C(USER)), or the module fails before it changes anything.
    type: str
    required: true
  command:
    description: The container's command (argv); empty for the image's own.
    type: list
    elements: str
    default: []
  env:
    description: The container's environment. May hold secrets.
    type: dict
    default: {}
  labels:
    description:
      - More labels. They are part of the spec, so a change recreates the container; for a service whose files
        another task writes, a hash of their content here makes a changed configuration take effect.
    type: dict
    default: {}
    version_added: 1.0.0
  networks:
    description:
      - The docker networks to join (full names). The first is the one it is created on.
      - C(host) alone (no aliases) runs the container on the host's network (a Galera node); it is docker's own
        network, neither made nor checked.
      - One that is missing is made (C(docker network create), labelled C(org.dct.trust_stack.stack=<stack>)); one
        that exists but is not as wanted (internal or not, or without the stack's label) is an error that names it,
        and nothing is changed (recreating it would cut the containers on it off).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The network's name.
        type: str
        required: true
      aliases:
        description: The container's aliases on that network.
        type: list
        elements: str
        default: []
      internal:
        description: Whether the network is internal (no route out of the host).
        type: bool
        default: false
  ports:
    description: Published ports, as for C(docker run -p).
    type: list
    elements: str
    default: []
  mounts:
    description: Bind mounts and named volumes.
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: C(bind) (a host path) or C(volume) (a named volume, made when missing).
        type: str
        choices: [bind, volume]
        required: true
      source:
        description: The host path or the volume's name.
        type: str
        required: true
      target:
        description: The path in the container.
        type: str
        required: true
      read_only:
        description: Mount it read-only.
        type: bool
        default: false
  tmpfs:
    description: Private tmpfs mounts, each C(<path>:<options>) as for C(docker run --tmpfs).
    type: list
    elements: str
    default: []
  read_only:
    description: Run with a read-only root filesystem.
    type: bool
    default: true
  security_opts:
    description: Security options, as for C(docker run --security-opt).
    type: list
    elements: str
    default: [no-new-privileges]
  cap_drop:
    description: Capabilities to drop.
    type: list
    elements: str
    default: [ALL]
  restart_policy:
    description: The docker restart policy.
    type: str
    choices: ["no", on-failure, always, unless-stopped]
    default: unless-stopped
  restart:
    description: Restart the container when it is as wanted and running even though none of its files changed.
    type: bool
    default: false
  ready:
    description:
      - Then wait until the service answers an HTTPS GET with I(status), TLS verified against I(ca_cert) (host name
        included), asking every second for up to I(timeout) seconds. Not in check mode.
      - The URL asked is I(url_after_start) when the module created, recreated, started or restarted the container
        (a deeper check of a fresh start, for example one that goes through the service's backends), else I(url);
        with neither for the case at hand, nothing is asked.
    type: dict
    suboptions:
      url:
        description: What to ask when the container was left as it was.
        type: str
      url_after_start:
        description: What to ask when the container was just started; unset, I(url).
        type: str
      ca_cert:
        description: The CA certificate (on the docker host) the service's TLS certificate must chain to.
        type: path
        required: true
        aliases: [ca_path]
      username:
        description: User for HTTP basic authentication.
        type: str
      password:
        description: Its password.
        type: str
      status:
        description: The HTTP status that means ready.
        type: int
        default: 200
      timeout:
        description: Seconds to keep asking.
        type: int
        default: 60
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: the paths that change, then the container's state, image and spec label before and after.
'''

EXAMPLES = r'''
- name: Run the registry of the lab stack
  dct.trust_stack.stack_container:
    stack: trust
    service: registry
    image: dct/registry:2.8.2
    directories:
      - {path: /etc/dct-trust-stack/trust/registry, owner: "991", mode: "0700"}
    files:
      - {path: /etc/dct-trust-stack/trust/registry/config.yml, content: "{{ registry_config }}", owner: "991", mode: "0644"}
    command: [serve, /etc/dct/config.yml]
    env:
      REGISTRY_HTTP_SECRET: "{{ registry_http_secret }}"
    networks:
      - {name: trust_backend, aliases: [registry-backend], internal: true}
    mounts:
      - {type: bind, source: /etc/dct-trust-stack/trust/registry, target: /etc/dct, read_only: true}
      - {type: volume, source: trust_registry_data, target: /var/lib/docker-registry}
  no_log: true
'''

RETURN = r'''
freed:
  description:
    - The stack's own containers (by its label) that published a host port this container publishes, removed (or in check
      mode to be removed) before it starts. Their roles make them again. An upgrade from a version whose registry and
      notary-server published the ports the front now publishes needs this.
  returned: always
  type: list
  elements: str
  sample: [dcttest_registry, dcttest_notary_server]
action:
  description: What was (or in check mode would be) done.
  returned: always
  type: str
  choices: [none, created, recreated, started, restarted]
  sample: recreated
changed_files:
  description: The files whose content changed or that were created (or in check mode would be).
  returned: always
  type: list
  elements: str
changed_paths:
  description: Every directory and file that was (or in check mode would be) created or changed.
  returned: always
  type: list
  elements: str
why:
  description: Why a container that existed was made again.
  returned: always
  type: list
  elements: str
  sample: ["made with other options (its org.dct.trust_stack.spec label differs)"]
networks_created:
  description: The networks that were (or, in check mode, would be) made.
  returned: always
  type: list
  elements: str
  sample: [trust_backend]
name:
  description: The container's name.
  returned: always
  type: str
  sample: trust_registry
spec:
  description: The spec label the container carries (or would carry).
  returned: always
  type: str
ready_url:
  description: The URL that answered as I(ready) asked, or null when nothing was asked.
  returned: always
  type: str
'''

import json
import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._containers import (
    SERVICE_LABEL, SPEC_LABEL, describe, differences, port_holders, spec_hash)
from ansible_collections.dct.trust_stack.plugins.module_utils._file_set import FILE_SET_ARGS, FileSetError, apply
from ansible_collections.dct.trust_stack.plugins.module_utils._engine import (
    NAME_RE, STACK_LABEL, check_stack, docker_cli as docker, docker_path)
from ansible_collections.dct.trust_stack.plugins.module_utils._options import STACK_ARGS
from ansible_collections.dct.trust_stack.plugins.module_utils._networks import make_missing
from ansible_collections.dct.trust_stack.plugins.module_utils._ready import READY_ARGS, wait_ready

# the options that make up the spec (and its label); the others say what to do with it
SPEC_KEYS = ('image', 'command', 'env', 'networks', 'ports', 'mounts', 'tmpfs', 'read_only', 'security_opts',
             'cap_drop', 'restart_policy', 'labels')
# docker's own network of the host: joined alone, never made or checked
HOST_NETWORK = 'host'


def check_input(params):
    """TrustError naming the first option docker would misread."""
    check_stack(params['stack'])
    if not NAME_RE.match(params['service']):
        raise TrustError('service "%s" is not a valid docker name (letters, digits, "_", "." and "-")' % params['service'])
    if not params['networks']:
        raise TrustError('networks is empty: a stack container joins at least one of its networks')
    if any(net['name'] == HOST_NETWORK for net in params['networks']) and (
            len(params['networks']) > 1 or params['networks'][0]['aliases'] or params['ports']):
        raise TrustError('networks: host is the host\'s own network; a container on it joins no other network, has no '
                         'aliases and publishes no ports')
    for key in params['labels']:
        if key.startswith('org.dct.trust_stack.'):
            raise TrustError('labels: %s is a label stack_container sets itself' % key)
    for key, value in params['env'].items():
        if not key or '=' in key or '\n' in key or '\n' in str(value):
            raise TrustError('env %s: names without "=" and values without a line break only (they go to an env file)' % key)
    for mount in params['mounts']:
        for part in ('source', 'target'):
            if ',' in mount[part] or not mount[part]:
                raise TrustError('mounts: %s "%s" is empty or has a comma, which docker --mount cannot take' % (part, mount[part]))


def create_args(params, name, labels, env_file):
    """`docker create` for the spec, on the first network only (the others are connected before the start)."""
    first = params['networks'][0]
    args = ['create', '--name', name, '--network', first['name'], '--env-file', env_file,
            '--restart', params['restart_policy']]
    for alias in first['aliases']:
        args += ['--network-alias', alias]
    for key, value in sorted(labels.items()):
        args += ['--label', '%s=%s' % (key, value)]
    for port in params['ports']:
        args += ['--publish', port]
    for mount in params['mounts']:
        args += ['--mount', 'type=%s,source=%s,target=%s%s' % (mount['type'], mount['source'], mount['target'],
                                                               ',readonly' if mount['read_only'] else '')]
    for tmpfs in params['tmpfs']:
        args += ['--tmpfs', tmpfs]
    for opt in params['security_opts']:
        args += ['--security-opt', opt]
    for cap in params['cap_drop']:
        args += ['--cap-drop', cap]
    if params['read_only']:
        args.append('--read-only')
    return args + [params['image']] + params['command']


def create(module, params, name, labels, removed):
    """Create, connect and start the container (removed: its old one is gone already); the environment through a
    0600 file removed at once."""
    handle, env_file = tempfile.mkstemp(prefix='dct-env-', dir=module.tmpdir)
    try:
        with os.fdopen(handle, 'w') as out:
            out.write(''.join('%s=%s\n' % (key, value) for key, value in sorted(params['env'].items())))
        docker(module, create_args(params, name, labels, env_file), changed=removed)
    finally:
        os.unlink(env_file)
    for net in params['networks'][1:]:
        docker(module, ['network', 'connect'] + [arg for alias in net['aliases'] for arg in ('--alias', alias)]
               + [net['name'], name], changed=True)
    docker(module, ['start', name], changed=True)


def shown(running, image, label):
    """A container's state as the diff shows it."""
    return 'running: %s\nimage: %s\nspec: %s\n' % (str(running).lower(), image, label)


def check_image(module, image, **done):
    """The image's ID; TrustError, before anything is changed, when image is missing or runs as root."""
    rc, out, err = module.run_command([docker_path(module), 'image', 'inspect', '--format', '{{.Id}} {{.Config.User}}', image])
    if rc != 0:
        raise TrustError('image %s is missing (%s); build it with the dct.trust_stack.images role' % (image, (err or out).strip()), **done)
    image_id, dummy_sep, user = out.strip().partition(' ')
    if user.split(':')[0] in ('', '0', 'root'):
        raise TrustError('image %s runs as root (USER "%s"); the stack runs every service as a user of its own'
                         % (image, user), **done)
    return image_id


def plan(module, params, spec, name, files, image_id):
    """(the container as found or None, why it is not as wanted, what to do with it). image_id is the ID the image
    the spec names has now: a container made from another image name differs by that name already."""
    ids = docker(module, ['ps', '-aq', '--no-trunc', '--filter', 'name=^%s$' % name]).split()
    found = json.loads(docker(module, ['inspect'] + ids)) if ids else []
    have = describe(found[0], {params['image']: image_id}) if found else None
    why = differences(have, spec) if have else []
    if have is None:
        action = 'created'
    elif why:
        action = 'recreated'
    elif not have['running']:
        action = 'started'
    elif params['restart'] or files['changed_files']:
        action = 'restarted'
    else:
        action = 'none'
    return have, why, action


def stack_port_holders(module, stack, name, ports):
    """The stack's other containers that publish a host port this one publishes: an older version of the stack
    published the registry's and notary-server's ports on those services, which the front now publishes."""
    ids = docker(module, ['ps', '-aq', '--no-trunc', '--filter', 'label=%s=%s' % (STACK_LABEL, stack)]).split()
    return port_holders(json.loads(docker(module, ['inspect'] + ids)) if ids else [], name, ports)


def run(module):
    params = module.params
    check_input(params)
    spec = dict((key, params[key]) for key in SPEC_KEYS)
    label = spec_hash(spec)
    name = '%s_%s' % (params['stack'], params['service'])
    image_id = check_image(module, params['image'])
    try:
        files = apply(params, module.check_mode)
    except (FileSetError, OSError) as exc:
        raise TrustError('%s: %s' % (name, exc))
    try:
        have, why, action = plan(module, params, spec, name, files, image_id)
        networks_created = make_missing(module, params['stack'], [(net['name'], net['internal']) for net in params['networks']
                                                                  if net['name'] != HOST_NETWORK])[0]
        # the stack's own containers that hold a port this one publishes go first (their roles make them again)
        freed = stack_port_holders(module, params['stack'], name, params['ports']) if action in ('created', 'recreated', 'started') else []
        if not module.check_mode:
            for holder in freed:
                docker(module, ['rm', '--force', holder], changed=True)
            if action == 'recreated':
                docker(module, ['stop', name])
                docker(module, ['rm', name], changed=True)
            if action in ('created', 'recreated'):
                labels = dict(params['labels'])
                labels.update({STACK_LABEL: params['stack'], SERVICE_LABEL: params['service'], SPEC_LABEL: label})
                create(module, params, name, labels, action == 'recreated')
            elif action == 'started':
                docker(module, ['start', name])
            elif action == 'restarted':
                docker(module, ['restart', name])
        ready_url = None
        if params['ready'] and not module.check_mode:
            ready_url = wait_ready(params['ready'], action != 'none', changed=action != 'none')
    except TrustError as exc:
        # what was done before the failure: the files, and the container's steps that went through
        exc.result.update(changed=exc.result.get('changed', False) or files['changed'], changed_files=files['changed_files'])
        raise
    return dict(
        changed=action != 'none' or bool(networks_created) or files['changed'], action=action, why=why, name=name, freed=freed,
        spec=label, networks_created=networks_created, changed_files=files['changed_files'], ready_url=ready_url,
        changed_paths=files['changed_paths'],
        diff=dict(before=files['diff']['before'] + (shown(have['running'], have['image'], have['spec']) if have else ''),
                  after=files['diff']['after'] + shown(True, params['image'], label)))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            STACK_ARGS,
            service=dict(type='str', required=True),
            image=dict(type='str', required=True),
            command=dict(type='list', elements='str', default=[]),
            env=dict(type='dict', default={}, no_log=True),
            labels=dict(type='dict', default={}),
            networks=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                aliases=dict(type='list', elements='str', default=[]),
                internal=dict(type='bool', default=False))),
            ports=dict(type='list', elements='str', default=[]),
            mounts=dict(type='list', elements='dict', default=[], options=dict(
                type=dict(type='str', required=True, choices=['bind', 'volume']),
                source=dict(type='str', required=True),
                target=dict(type='str', required=True),
                read_only=dict(type='bool', default=False))),
            tmpfs=dict(type='list', elements='str', default=[]),
            read_only=dict(type='bool', default=True),
            security_opts=dict(type='list', elements='str', default=['no-new-privileges']),
            cap_drop=dict(type='list', elements='str', default=['ALL']),
            restart_policy=dict(type='str', default='unless-stopped', choices=['no', 'on-failure', 'always', 'unless-stopped']),
            restart=dict(type='bool', default=False),
            ready=dict(type='dict', options=READY_ARGS),
            **FILE_SET_ARGS
        ),
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == '__main__':
    main()
