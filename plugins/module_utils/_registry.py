# -*- coding: utf-8 -*-
# Copyright: dct.trust_stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a registry's tag points at now (its manifest digest), read over the distribution API with the
user's registry credentials and the registry's CA."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import os
import ssl

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError

MANIFEST_TYPES = (
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
)


def docker_config_auth(registry, config_path=None):
    """(username, password) for registry from a docker config.json's auths (what `docker login` wrote), or None."""
    path = config_path or os.path.join(os.environ.get('DOCKER_CONFIG') or os.path.expanduser('~/.docker'), 'config.json')
    try:
        with open(path) as handle:
            entry = (json.load(handle).get('auths') or {}).get(registry) or {}
    except (IOError, OSError, ValueError):
        return None
    if not entry.get('auth'):
        return None
    user, dummy, password = base64.b64decode(entry['auth']).decode('utf-8').partition(':')
    return user, password


def registry_ca(registry, fallback=None):
    """The CA a docker daemon trusts registry with (/etc/docker/certs.d/<host:port>/ca.crt), else fallback."""
    path = os.path.join('/etc/docker/certs.d', registry, 'ca.crt')
    return path if os.path.exists(path) else fallback


def manifest_digest(repository, tag, ca_file=None, credentials=None, timeout=30):
    """The digest ('sha256:...') the registry serves repository:tag with now, or None when it has no such tag."""
    import urllib.error
    import urllib.request
    registry, dummy, path = repository.partition('/')
    if not path or ('.' not in registry and ':' not in registry and registry != 'localhost'):
        raise TrustError('%s names no registry host: registry_check needs host[:port]/name' % repository)
    request = urllib.request.Request('https://%s/v2/%s/manifests/%s' % (registry, path, tag), method='HEAD',
                                     headers={'Accept': ', '.join(MANIFEST_TYPES)})
    if credentials:
        token = base64.b64encode(('%s:%s' % credentials).encode('utf-8')).decode('ascii')
        request.add_header('Authorization', 'Basic ' + token)
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_file)))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.headers.get('Docker-Content-Digest')
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        if exc.code in (401, 403):
            raise TrustError('registry %s refused to show %s:%s (HTTP %s): give registry_username/registry_password '
                             'or docker login' % (registry, repository, tag, exc.code))
        raise TrustError('registry %s answered HTTP %s for %s:%s' % (registry, exc.code, repository, tag))
    except (urllib.error.URLError, ssl.SSLError, OSError) as exc:
        raise TrustError('registry %s is unreachable or not trusted (CA %s): %s'
                         % (registry, ca_file or 'system', getattr(exc, 'reason', None) or exc))
