# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Docker engine: through the docker CLI, or over its unix socket when the docker CLI would use that socket."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import socket
from urllib.parse import quote

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError

# the label every container and network of a stack carries, with the stack's name as its value
STACK_LABEL = 'org.dct.trust_stack.stack'
# a docker object's name: a stack's name is the prefix of its objects' names, so it must be one too
NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')


def check_stack(stack):
    """TrustError when stack cannot be the prefix of docker object names."""
    if not NAME_RE.match(stack):
        raise TrustError('stack "%s" is not a valid docker name prefix (letters, digits, "_", "." and "-")' % stack)


def docker_path(module, **done):
    """The docker CLI module.params['docker_cli'] names; TrustError carrying done when there is none."""
    cli = module.params['docker_cli']
    found = cli if '/' in cli else module.get_bin_path(cli)
    if not found or not os.access(found, os.X_OK):
        raise TrustError('docker CLI "%s" not found or not executable (option docker_cli)' % cli, **done)
    return found


def docker_cli(module, args, **done):
    """stdout of the docker CLI (module.params['docker_cli']) run with args; on a failure TrustError naming the
    command, carrying done (what the module did before it)."""
    rc, out, err = module.run_command([docker_path(module, **done)] + list(args))
    if rc != 0:
        raise TrustError('docker %s failed: %s' % (' '.join(args), (err or out).strip()), **done)
    return out


def repo_digest(repo_digests, repository):
    """The hex digest of repository in an image's RepoDigests (name@sha256:hex), or None."""
    for entry in repo_digests:
        name, dummy, digest = entry.partition('@sha256:')
        if name == repository:
            return digest
    return None


def engine_socket(config_dir):
    """The unix socket of the Docker engine the docker CLI would use, or None when it would use another
    engine (DOCKER_HOST not unix://, TLS, a docker context): then only the CLI knows."""
    host = os.environ.get('DOCKER_HOST')
    if not host:
        if os.environ.get('DOCKER_CONTEXT'):
            return None
        try:
            with open(os.path.join(config_dir, 'config.json')) as handle:
                if json.load(handle).get('currentContext') not in (None, '', 'default'):
                    return None
        except (IOError, OSError, ValueError):
            pass
        host = 'unix:///var/run/docker.sock'
    if not host.startswith('unix://') or os.environ.get('DOCKER_TLS_VERIFY'):
        return None
    path = host[len('unix://'):]
    return path if os.path.exists(path) else None


def engine_images(config_dir, repository, timeout):
    """The Docker engine's image list for repository (GET /images/json, filtered by reference) over its
    unix socket, or None when there is no such socket to use or it does not answer (ask the CLI then)."""
    path = engine_socket(config_dir)
    if not path:
        return None
    import http.client

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            self.sock.connect(path)

    connection = UnixConnection('localhost', timeout=timeout)
    try:
        connection.request('GET', '/images/json?filters=%s' % quote(json.dumps({'reference': [repository]})))
        response = connection.getresponse()
        body = response.read()
        return json.loads(body) if response.status == 200 else None
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()
