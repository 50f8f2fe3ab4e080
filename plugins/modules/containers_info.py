#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: containers_info
short_description: Every running container of a host, with docker and podman, and the image it runs
version_added: 1.0.0
description:
  - Reads every running container with the docker CLI (any version) and with podman, each engine the host has -
    its name, ID, the image reference it was started from, the image's ID, its repository digests (what a registry
    called the image when it was pulled) and its start time. Nothing is changed.
  - What M(dct.trust_stack.trust_audit) gives verdicts on, on the controller, for every host at once.
  - A host with neither CLI has nothing to report. podman-docker's C(docker) (a script that runs podman) is not read
    twice. A docker CLI whose engine does not run here (no C(/var/run/docker.sock) and no C(DOCKER_HOST)) has
    nothing running; one whose engine does not answer otherwise fails the module, naming the engine.
author:
  - dct.trust_stack developers (@dct-trust-stack)
extends_documentation_fragment:
  - dct.trust_stack.attributes
options:
  docker_cli:
    description: The docker CLI, a name looked up in C(PATH) or a path; not read when missing.
    type: str
    default: docker
  podman_cli:
    description: The podman CLI, a name looked up in C(PATH) or a path; not read when missing.
    type: str
    default: podman
  filters:
    description:
      - Only containers that match every filter, in the syntax of C(docker ps --filter) and C(podman ps --filter)
        (C(name=<regular expression>), C(label=<key>[=<value>])).
    type: list
    elements: str
    default: []
  timeout:
    description: Seconds each CLI call may take.
    type: int
    default: 60
attributes:
  check_mode:
    support: full
    details: It only reads.
  diff_mode:
    support: none
requirements:
  - docker or podman on the host (neither is fine, with nothing to report)
seealso:
  - module: dct.trust_stack.trust_audit
'''

EXAMPLES = r'''
- name: Read what runs on the host
  dct.trust_stack.containers_info:
  register: running
'''

RETURN = r'''
containers:
  description: Each running container.
  returned: always
  type: list
  elements: dict
  contains:
    engine:
      description: docker or podman
      type: str
    name:
      description: The container's name
      type: str
    id:
      description: The container's ID (12 characters)
      type: str
    image:
      description: The image reference the container was started from, as it was given
      type: str
    image_id:
      description: "The image's ID (C(sha256:<hex>))"
      type: str
    repo_digests:
      description: "The image's repository digests (C(<repository>@sha256:<hex>))"
      type: list
      elements: str
    started_at:
      description: When the container started (RFC 3339, UTC)
      type: str
engines:
  description: Per engine (docker, podman), C(read), C(absent) (no CLI), C(not running) or C(podman-docker).
  returned: always
  type: dict
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dct.trust_stack.plugins.module_utils._cli import TIMED_OUT, timed
from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, run_module
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import engine_not_running, is_docker_cli


def run_cli(module, argv, what):
    rc, out, err = module.run_command(timed(argv, module.params['timeout']))
    if rc == TIMED_OUT:
        raise TrustError('%s did not answer within %s s' % (what, module.params['timeout']))
    return rc, out, err


def read_engine(module, engine, cli):
    """The running containers of one engine, as containers_info returns them."""
    argv = [cli, 'ps', '--quiet', '--no-trunc'] + ['--filter=%s' % f for f in module.params['filters']]
    rc, out, err = run_cli(module, argv, '%s ps' % engine)
    if rc != 0:
        raise TrustError('%s ps failed: %s' % (engine, (err or out).strip()))
    ids = out.split()
    if not ids:
        return []
    rc, out, err = run_cli(module, [cli, 'container', 'inspect'] + ids, '%s container inspect' % engine)
    # a container that stopped between the two calls is not running any more: the ones still there are read
    containers = inspected(out)
    image_ids = sorted(set(c.get('Image') or '' for c in containers) - set(['']))
    images = {}
    if image_ids:
        rc, out, err = run_cli(module, [cli, 'image', 'inspect'] + image_ids, '%s image inspect' % engine)
        for image in inspected(out):
            images[normal_id(image.get('Id') or '')] = image
    found = []
    for container in containers:
        image_id = normal_id(container.get('Image') or '')
        state = container.get('State') or {}
        found.append(dict(
            engine=engine,
            name=(container.get('Name') or '').lstrip('/'),
            id=(container.get('Id') or '').replace('sha256:', '')[:12],
            # podman keeps the reference as given in ImageName; docker in Config.Image
            image=container.get('ImageName') or (container.get('Config') or {}).get('Image') or '',
            image_id=image_id,
            repo_digests=sorted((images.get(image_id) or {}).get('RepoDigests') or []),
            started_at=state.get('StartedAt') or '',
        ))
    return found


def inspected(out):
    """The objects an `inspect` printed (a JSON list), or none when it printed no list."""
    return json.loads(out) if out.strip().startswith('[') else []


def normal_id(value):
    """An image or container ID as sha256:<hex> (podman prints it without the prefix)."""
    return value if value.startswith('sha256:') or not value else 'sha256:' + value


def installed(module, cli):
    """The path of cli (a name in PATH or a path), or None when the host does not have it."""
    if '/' in cli:
        return cli if os.access(cli, os.X_OK) else None
    return module.get_bin_path(cli)


def run(module):
    p = module.params
    engines, containers = {}, []
    podman, docker = installed(module, p['podman_cli']), installed(module, p['docker_cli'])
    if docker:
        rc, out, err = run_cli(module, [docker, '--version'], 'docker --version')
        if rc == 0 and not is_docker_cli(out):
            engines['docker'] = 'podman-docker'
            podman = podman or docker
            docker = None
    if docker:
        try:
            containers += read_engine(module, 'docker', docker)
            engines['docker'] = 'read'
        except TrustError as exc:
            if not (engine_not_running(str(exc)) and not os.environ.get('DOCKER_HOST')
                    and not os.path.exists('/var/run/docker.sock')):
                raise
            engines['docker'] = 'not running'
    else:
        engines.setdefault('docker', 'absent')
    if podman:
        containers += read_engine(module, 'podman', podman)
        engines['podman'] = 'read'
    else:
        engines['podman'] = 'absent'
    return dict(changed=False, containers=sorted(containers, key=lambda c: (c['engine'], c['name'])), engines=engines)


def main():
    module = AnsibleModule(argument_spec=dict(
        docker_cli=dict(type='str', default='docker'),
        podman_cli=dict(type='str', default='podman'),
        filters=dict(type='list', elements='str', default=[]),
        timeout=dict(type='int', default=60),
    ), supports_check_mode=True)
    run_module(module, run)


if __name__ == '__main__':
    main()
