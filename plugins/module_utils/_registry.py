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

from ansible_collections.dct.trust_stack.plugins.module_utils._common import TrustError, at_once
from ansible_collections.dct.trust_stack.plugins.module_utils._diagnosis import refusal
from ansible_collections.dct.trust_stack.plugins.module_utils._references import is_registry_host

MANIFEST_TYPES = (
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.docker.distribution.manifest.list.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json',
)


# registry requests made at once where a module reads many (tags, manifests): a few keep the front busy without
# queueing behind each other
REQUESTS_AT_ONCE = 4


def read_many(read, items, workers=REQUESTS_AT_ONCE):
    """[read(item) for item in items], up to workers requests at a time, in items' order; the first TrustError raised."""
    return at_once(read, items, workers)


def login_files():
    """Where `docker login` and `podman login` keep credentials, in the order they are consulted."""
    paths = [os.environ.get('REGISTRY_AUTH_FILE'),
             os.path.join(os.environ.get('DOCKER_CONFIG') or os.path.expanduser('~/.docker'), 'config.json')]
    if os.environ.get('XDG_RUNTIME_DIR'):
        paths.append(os.path.join(os.environ['XDG_RUNTIME_DIR'], 'containers', 'auth.json'))
    return [p for p in paths if p]


def basic_credentials(credentials):
    """user:password in base64: the value of a Basic Authorization header, of NOTARY_AUTH and of a docker
    config's auths entry."""
    return base64.b64encode(('%s:%s' % credentials).encode('utf-8')).decode('ascii')


def docker_config_auth(registry, config_path=None):
    """(username, password) for registry from what `docker login` wrote (config_path, else $DOCKER_CONFIG/config.json
    or ~/.docker/config.json) or `podman login` ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json,
    the same format); None when none of them has an entry for it."""
    for path in [config_path] if config_path else login_files():
        try:
            with open(path) as handle:
                entry = (json.load(handle).get('auths') or {}).get(registry) or {}
        except (IOError, OSError, ValueError):
            continue
        if entry.get('auth'):
            user, dummy, password = base64.b64decode(entry['auth']).decode('utf-8').partition(':')
            return user, password
    return None


def registry_ca(registry, fallback=None):
    """The CA a docker daemon trusts registry with (/etc/docker/certs.d/<host:port>/ca.crt), else fallback."""
    path = os.path.join('/etc/docker/certs.d', registry, 'ca.crt')
    return path if os.path.exists(path) else fallback


def manifest_digest(repository, tag, ca_file=None, credentials=None, timeout=30):
    """The digest ('sha256:...') the registry serves repository:tag with now, or None when it has no such tag."""
    found = manifest_head(repository, tag, ca_file, credentials, timeout)
    return found[0] if found else None


def manifest_head(repository, tag, ca_file=None, credentials=None, timeout=30):
    """(digest 'sha256:...', size in bytes) of the manifest (or image index) the registry serves repository:tag
    with now, or None when it has no such tag: what `docker trust sign` records as the target's hash and length."""
    found = _manifest(repository, tag, ca_file, credentials, timeout, 'HEAD')
    return found[:2] if found else None


def manifest_config(repository, tag, ca_file=None, credentials=None, timeout=30):
    """(digest 'sha256:...', size, the config digest 'sha256:...' or None for an image index) of the manifest the
    registry serves repository:tag with now, or None when it has no such tag. An image's config digest is its
    image ID, so this tells whether the registry's tag holds a given local image."""
    found = _manifest(repository, tag, ca_file, credentials, timeout, 'GET')
    if not found:
        return None
    try:
        config = (json.loads(found[2].decode('utf-8')).get('config') or {}).get('digest')
    except (ValueError, AttributeError):
        config = None
    return found[0], found[1], config


def manifest_bytes(repository, digest, ca_file=None, credentials=None, timeout=30):
    """The manifest (or image index) repository@digest as the registry serves it, byte for byte; TrustError when the
    registry has none, or serves bytes whose SHA-256 is not digest."""
    import hashlib
    found = _manifest(repository, digest, ca_file, credentials, timeout, 'GET')
    if not found:
        raise TrustError('%s@%s: the registry has no such manifest' % (repository, digest))
    served = 'sha256:' + hashlib.sha256(found[2]).hexdigest()
    if served != digest:
        raise TrustError('%s@%s: digest mismatch: the registry served content whose digest is %s' % (repository, digest, served))
    return found[2]


def catalog(registry, ca_file=None, credentials=None, timeout=30):
    """The names (without the registry) of every repository the registry lists at /v2/_catalog, page by page."""
    names, path = [], '/v2/_catalog?n=1000'
    while path:
        found = _get(registry, path, 'the catalog', ca_file, credentials, timeout, 'GET', {})
        if not found:
            raise TrustError('registry %s has no catalog (/v2/_catalog answered HTTP 404)' % registry)
        try:
            names.extend(json.loads(found[2].decode('utf-8')).get('repositories') or [])
        except (ValueError, AttributeError):
            raise TrustError('registry %s answered /v2/_catalog with something that is not its catalog' % registry)
        link = found[3].get('Link') or ''
        # the next page, as the distribution API says: Link: </v2/_catalog?last=<name>&n=1000>; rel="next"
        path = link.split(';')[0].strip(' <>') if 'rel="next"' in link else None
    return names


def _manifest(repository, tag, ca_file, credentials, timeout, method):
    """(digest, size, body) of the registry's answer to method on repository:tag's manifest; None for a 404."""
    registry, dummy, path = repository.partition('/')
    if not path or not is_registry_host(registry):
        raise TrustError('%s names no registry host: reading the registry needs host[:port]/name' % repository)
    found = _get(registry, '/v2/%s/manifests/%s' % (path, tag), '%s:%s' % (repository, tag), ca_file, credentials,
                 timeout, method, {'Accept': ', '.join(MANIFEST_TYPES)})
    if found:
        return found[:3]
    return None


def _get(registry, path, what, ca_file, credentials, timeout, method, headers):
    """(Docker-Content-Digest, size, body, headers) of the registry's answer to method on path; None for a 404;
    TrustError naming what for a refusal, another status, or a registry out of reach."""
    import urllib.error
    import urllib.request
    request = urllib.request.Request('https://%s%s' % (registry, path), method=method, headers=headers)
    if credentials:
        request.add_header('Authorization', 'Basic ' + basic_credentials(credentials))
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_file)))
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read()
            return (response.headers.get('Docker-Content-Digest'), int(response.headers.get('Content-Length') or len(body)),
                    body, response.headers)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        if exc.code in (401, 403):
            raise TrustError(refusal(credentials, what, 'registry %s refused to show %s (HTTP %s): give '
                                     'registry_username/registry_password or docker login' % (registry, what, exc.code)))
        raise TrustError('registry %s answered HTTP %s for %s' % (registry, exc.code, what))
    except (urllib.error.URLError, ssl.SSLError, OSError) as exc:
        raise TrustError('registry %s is unreachable or not trusted (CA %s): %s'
                         % (registry, ca_file or 'system', getattr(exc, 'reason', None) or exc))
